package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The migrations as the packaged jar lists them: the files directly in its migration folder, nothing else. */
class MigrationsJarTest {
    @TempDir
    Path dir;

    @Test
    void aJarsMigrationFolder_listsItsOwnFilesInOrder_notSubfoldersOrNeighbours() throws Exception {
        Path jar = dir.resolve("app.jar");
        List<String> entries = List.of(
                "db/",
                "db/migration/",
                "db/migration/V2__b.sql",
                "db/migration/V10__c.sql",
                "db/migration/V1__a.sql",
                "db/migration/old/V3__x.sql",
                "db/migration-extra/V4__y.sql",
                "dev/multiarch/store/Migrations.class");
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(out)) {
            for (String e : entries) {
                j.putNextEntry(new JarEntry(e));
                j.closeEntry();
            }
        }
        try (JarFile f = new JarFile(jar.toFile())) {
            assertEquals(List.of("V10__c.sql", "V1__a.sql", "V2__b.sql"), Migrations.names(f));
        }
    }

    @Test
    void theRealMigrations_listTheSameFromAJarAsFromTheClassesFolder() throws Exception {
        Path classes = Path.of(Migrations.class.getResource("/db/migration").toURI());
        Path jar = dir.resolve("multiarch.jar");
        List<String> folder;
        try (var files = Files.list(classes)) {
            folder = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(out)) {
            j.putNextEntry(new JarEntry("db/migration/"));
            j.closeEntry();
            for (String name : folder) {
                j.putNextEntry(new JarEntry("db/migration/" + name));
                j.write(Files.readAllBytes(classes.resolve(name)));
                j.closeEntry();
            }
        }
        try (JarFile f = new JarFile(jar.toFile())) {
            assertEquals(folder, Migrations.names(f));
        }
    }
}
