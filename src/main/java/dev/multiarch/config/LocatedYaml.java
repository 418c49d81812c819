package dev.multiarch.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.multiarch.base.Json;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * A YAML document read into a Jackson tree, remembering the line each value starts on (by path, e.g.
 * {@code manifests[1].platform.architecture}), so that errors found after parsing can still name a line.
 */
public final class LocatedYaml {
    private static final YAMLFactory YAML = new YAMLFactory(Json.MAPPER);

    private final String file;
    private final JsonNode root;
    private final Map<String, Integer> lines;

    private LocatedYaml(String file, JsonNode root, Map<String, Integer> lines) {
        this.file = file;
        this.root = root;
        this.lines = lines;
    }

    /**
     * @throws ConfigException when the text is not YAML, naming the line
     */
    public static LocatedYaml parse(String file, String text) {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser p = YAML.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new LocatedYaml(file, JsonNodeFactory.instance.nullNode(), lines);
            }
            JsonNode root = read(p, "", lines);
            return new LocatedYaml(file, root, lines);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new ConfigException(
                    file,
                    line,
                    "",
                    "not valid YAML: "
                            + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new ConfigException(file, 0, "", "cannot read: " + e.getMessage());
        }
    }

    private static JsonNode read(JsonParser p, String path, Map<String, Integer> lines) throws IOException {
        lines.put(path, p.currentTokenLocation().getLineNr());
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    String child = path.isEmpty() ? name : path + "." + name;
                    lines.put(child, p.currentTokenLocation().getLineNr());
                    p.nextToken();
                    Integer keyLine = lines.get(child);
                    o.set(name, read(p, child, lines));
                    lines.put(child, keyLine);
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = JsonNodeFactory.instance.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    a.add(read(p, path + "[" + i++ + "]", lines));
                }
                return a;
            }
            case VALUE_NULL -> {
                return JsonNodeFactory.instance.nullNode();
            }
            default -> {
                // Scalars stay text as written: a tag like 1.0 or a version like 10.0.20348 must not become a
                // number, nor a build argument 'yes' a boolean (YAML 1.1's Norway problem).
                return JsonNodeFactory.instance.textNode(p.getText());
            }
        }
    }

    public String file() {
        return file;
    }

    public JsonNode root() {
        return root;
    }

    /** The line a path's value starts on, or its nearest parent's; 0 when unknown. */
    public int line(String path) {
        String p = path;
        while (true) {
            Integer l = lines.get(p);
            if (l != null) {
                return l;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            if (cut <= 0) {
                return lines.getOrDefault("", 0);
            }
            p = p.substring(0, cut);
        }
    }

    public ConfigException error(String path, String reason) {
        return new ConfigException(file, line(path), path, reason);
    }
}
