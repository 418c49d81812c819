package dev.multiarch.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Prometheus text exposition as a scraper reads it: samples by name and labels. The format itself is checked by
 * Prometheus' own {@code promtool check metrics} ({@link #promtool}); this reader is only for asserting on values.
 */
public final class Scrape {
    public record Sample(String name, Map<String, String> labels, double value) {}

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final String text;
    private final List<Sample> samples;

    private Scrape(String text, List<Sample> samples) {
        this.text = text;
        this.samples = samples;
    }

    /** {@code GET url} with {@code Authorization: Bearer token}; fails unless the answer is 200. */
    public static Scrape get(String url, String token) {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .header("Authorization", "Bearer " + token)
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + url + ": " + r.statusCode() + " " + r.body());
            }
            String type = r.headers().firstValue("Content-Type").orElse("");
            if (!type.startsWith("text/plain; version=0.0.4")) {
                throw new IllegalStateException("GET " + url + ": Content-Type " + type);
            }
            return parse(r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Scrape parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            String rest;
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                int i = brace + 1;
                while (line.charAt(i) != '}') {
                    int eq = line.indexOf('=', i);
                    String key = line.substring(i, eq).trim();
                    StringBuilder v = new StringBuilder();
                    int j = eq + 2; // past ="
                    while (line.charAt(j) != '"') {
                        char c = line.charAt(j);
                        if (c == '\\') {
                            char n = line.charAt(++j);
                            v.append(n == 'n' ? '\n' : n);
                        } else {
                            v.append(c);
                        }
                        j++;
                    }
                    labels.put(key, v.toString());
                    i = j + 1;
                    if (line.charAt(i) == ',') {
                        i++;
                    }
                }
                rest = line.substring(i + 1).trim();
            } else {
                name = line.substring(0, space);
                rest = line.substring(space + 1).trim();
            }
            String value = rest.split(" ")[0];
            out.add(new Sample(name, labels, parseValue(value)));
        }
        return new Scrape(text, out);
    }

    private static double parseValue(String v) {
        return switch (v) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
    }

    public String text() {
        return text;
    }

    public List<Sample> samples() {
        return samples;
    }

    /** Every sample name ({@code _bucket}, {@code _count}, {@code _sum} of histograms included). */
    public Set<String> names() {
        Set<String> out = new TreeSet<>();
        samples.forEach(s -> out.add(s.name()));
        return out;
    }

    /**
     * The sum of the samples named {@code name} whose labels include {@code labels} (key, value, key, value…); 0 when
     * none matches (a counter never incremented is absent).
     */
    public double sum(String name, String... labels) {
        double total = 0;
        for (Sample s : matching(name, labels)) {
            total += s.value();
        }
        return total;
    }

    public List<Sample> matching(String name, String... labels) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                all &= labels[i + 1].equals(s.labels().get(labels[i]));
            }
            if (all) {
                out.add(s);
            }
        }
        return out;
    }

    /** Every value each label takes across the scrape (label → values). */
    public Map<String, Set<String>> labelValues() {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        samples.forEach(s -> s.labels()
                .forEach((k, v) -> out.computeIfAbsent(k, x -> new TreeSet<>()).add(v)));
        return out;
    }

    /**
     * Runs Prometheus' {@code promtool check metrics} (Debian's {@code prometheus} package, installed by
     * {@code bin/setup-host}) on the text: it parses the exposition as Prometheus does and lints names, types and
     * help. Returns what it printed; throws with that when it finds a problem.
     */
    public String promtool() {
        try {
            Process p = new ProcessBuilder("promtool", "check", "metrics")
                    .redirectErrorStream(true)
                    .start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String said;
            try (InputStream out = p.getInputStream()) {
                said = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            }
            int code = p.waitFor();
            if (code != 0) {
                throw new IllegalStateException("promtool check metrics failed (exit " + code + "):\n" + said);
            }
            return said;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run promtool (bin/setup-host installs Debian's prometheus)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
