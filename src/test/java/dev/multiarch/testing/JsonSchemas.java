package dev.multiarch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The attestation schemas under {@code src/test/resources/schemas} (written from the in-toto and SLSA specs; each
 * file's description cites its sources), applied with vertx-json-schema.
 */
public final class JsonSchemas {
    private JsonSchemas() {}

    public static final String IN_TOTO_STATEMENT = "in-toto-statement-v1.schema.json";
    public static final String SLSA_PROVENANCE = "slsa-provenance-v1.schema.json";

    /** What is wrong with {@code doc} by the schema; empty when it is valid. */
    public static List<String> errors(String schema, JsonNode doc) {
        Validator v = Validator.create(
                JsonSchema.of(new JsonObject(resource(schema))),
                new JsonSchemaOptions().setDraft(Draft.DRAFT7).setBaseUri("https://schemas.multiarch.test/"));
        OutputUnit out = v.validate(new JsonObject(doc.toString()));
        List<String> errors = new ArrayList<>();
        if (!out.getValid()) {
            for (OutputUnit e : out.getErrors() == null ? List.<OutputUnit>of() : out.getErrors()) {
                errors.add(e.getInstanceLocation() + ": " + e.getError());
            }
            if (errors.isEmpty()) {
                errors.add(String.valueOf(out.getError()));
            }
        }
        return errors;
    }

    private static String resource(String name) {
        try (InputStream in = JsonSchemas.class.getResourceAsStream("/schemas/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no schema " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
