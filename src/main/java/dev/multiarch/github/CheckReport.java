package dev.multiarch.github;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import dev.multiarch.base.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * One check's wanted state as the status outbox keeps it (the {@code body} of a row of the {@code reports} table):
 * where the check goes and what it should say. This record is the only writer and reader of that JSON. Its properties
 * are flat and named as the rows of earlier versions name them, so an outbox left by an older coordinator is still
 * sent after an upgrade.
 */
record CheckReport(
        @JsonUnwrapped Target target, @JsonUnwrapped Wanted wanted) {

    /** The repository, commit and installation (0 with a token) the check belongs to, and the page it links to. */
    record Target(String repo, String sha, long installation, String url) {
        static Target of(Origin o, String url) {
            return new Target(o.repo(), o.sha(), o.installation(), url);
        }
    }

    /**
     * What the check should say: its state, a line for a commit status, and a check run's title, Markdown summary and
     * optional text (the failed platforms' logs).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Wanted(CheckState state, String description, String title, String summary, String text) {}

    /** Jackson's way in: the row's flat properties (unwrapped properties cannot be creator parameters). */
    @JsonCreator
    static CheckReport read(
            @JsonProperty("repo") String repo,
            @JsonProperty("sha") String sha,
            @JsonProperty("installation") long installation,
            @JsonProperty("url") String url,
            @JsonProperty("state") CheckState state,
            @JsonProperty("description") String description,
            @JsonProperty("title") String title,
            @JsonProperty("summary") String summary,
            @JsonProperty("text") String text) {
        return new CheckReport(
                new Target(repo, sha, installation, url), new Wanted(state, description, title, summary, text));
    }

    String toJson() {
        return Json.writeString(this);
    }

    /**
     * @throws JsonProcessingException when the body is not this record's JSON: not JSON, an unknown state, or one of the
     *     properties every report has is missing
     */
    static CheckReport fromJson(String body) throws JsonProcessingException {
        CheckReport r;
        try {
            r = Json.MAPPER.readValue(body, CheckReport.class);
        } catch (InvalidDefinitionException e) {
            // Our mapping is wrong, not the row: fail loudly rather than drop every report as unreadable.
            throw new IllegalStateException("CheckReport cannot be read as JSON: " + e.getOriginalMessage(), e);
        }
        if (r == null) {
            throw JsonMappingException.from((JsonParser) null, "not a report: null");
        }
        List<String> missing = new ArrayList<>();
        require(missing, "repo", r.target().repo());
        require(missing, "sha", r.target().sha());
        require(missing, "url", r.target().url());
        require(missing, "state", r.wanted().state());
        require(missing, "description", r.wanted().description());
        require(missing, "title", r.wanted().title());
        require(missing, "summary", r.wanted().summary());
        if (!missing.isEmpty()) {
            throw JsonMappingException.from((JsonParser) null, "missing " + String.join(", ", missing));
        }
        return r;
    }

    private static void require(List<String> missing, String name, Object value) {
        if (value == null) {
            missing.add(name);
        }
    }
}
