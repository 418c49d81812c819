package dev.multiarch.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/architecture.md} honest: its package table is the rule. Each row names the packages of ours a
 * package may import ("talks to") and the libraries it may use besides the JDK; a class that imports anything else
 * fails this test with the class, the target and the source line. The table is read from the document itself, so
 * changing a boundary means changing the document in the same commit.
 */
class ArchitectureTest {
    private static final String ROOT = "dev.multiarch";
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([a-z]+)`\\s*\\|[^|]*\\|([^|]*)\\|([^|]*)\\|\\s*$");
    private static final Pattern TICKED = Pattern.compile("`([a-z0-9.]+)`");

    record Row(Set<String> packages, Set<String> libraries, boolean anyPackage, boolean anyLibrary) {}

    private static JavaClasses classes;
    private static Map<String, Row> table;

    @BeforeAll
    static void read() throws IOException {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
        table = readTable(Path.of("docs/architecture.md"));
    }

    static Map<String, Row> readTable(Path doc) throws IOException {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(doc)) {
            Matcher m = ROW.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String talks = m.group(2).trim();
            String libs = m.group(3).trim();
            rows.put(
                    m.group(1),
                    new Row(ticked(talks), ticked(libs), talks.equals("everything"), libs.equals("everything")));
        }
        return rows;
    }

    private static Set<String> ticked(String cell) {
        Set<String> out = new TreeSet<>();
        Matcher m = TICKED.matcher(cell);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void everyPackageHasARow_andEveryRowAPackage() {
        Set<String> inCode = new TreeSet<>();
        for (JavaClass c : classes) {
            inCode.add(stage(c.getPackageName()));
        }
        assertEquals(
                inCode,
                new TreeSet<>(table.keySet()),
                "docs/architecture.md's package table and the packages under src/main differ");
    }

    @Test
    void importsFollowTheTable() {
        List<String> violations = new ArrayList<>();
        for (JavaClass c : classes) {
            String from = stage(c.getPackageName());
            Row row = table.get(from);
            if (row == null) {
                continue; // reported by everyPackageHasARow_andEveryRowAPackage
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = d.getTargetClass().getBaseComponentType();
                String pkg = target.getPackageName();
                if (target.isPrimitive() || pkg.isEmpty() || pkg.startsWith("java.") || pkg.startsWith("javax.")) {
                    continue;
                }
                if (pkg.equals(ROOT) || pkg.startsWith(ROOT + ".")) {
                    String to = stage(pkg);
                    if (!to.equals(from) && !row.anyPackage() && !row.packages().contains(to)) {
                        violations.add(from + " may not talk to " + to + ": " + d.getDescription());
                    }
                } else if (!row.anyLibrary()
                        && row.libraries().stream().noneMatch(l -> pkg.equals(l) || pkg.startsWith(l + "."))) {
                    violations.add(from + " may not use " + pkg + ": " + d.getDescription());
                }
            }
        }
        assertTrue(
                violations.isEmpty(),
                "imports outside docs/architecture.md's table:\n" + String.join("\n", new TreeSet<>(violations)));
    }

    /**
     * Where child processes start: only these classes make a {@code ProcessBuilder}, and each of them but
     * {@code HostPlatform} (whose package uses no other; it clears the environment itself) hands it to
     * {@code ChildEnvironment}, so no child inherits the coordinator's or runner's secrets.
     */
    private static final Map<String, Boolean> PROCESS_STARTERS = Map.of(
            ROOT + ".runner.Exec", true,
            ROOT + ".source.Git", true,
            ROOT + ".registry.DockerConfig", true,
            ROOT + ".cli.Demo", true,
            ROOT + ".platform.HostPlatform", false);

    @Test
    void processesStartOnlyInTheClassesThatGiveThemACleanEnvironment() {
        Set<String> starters = new TreeSet<>();
        for (JavaClass c : classes) {
            c.getConstructorCallsFromSelf().stream()
                    .filter(call -> call.getTargetOwner().isEquivalentTo(ProcessBuilder.class))
                    .forEach(call -> {
                        String owner = call.getOriginOwner().getName().replaceFirst("\\$.*", "");
                        assertTrue(
                                PROCESS_STARTERS.containsKey(owner),
                                owner + " makes a ProcessBuilder (" + call.getSourceCodeLocation() + "): start children"
                                        + " through ChildEnvironment, and list the class in ArchitectureTest");
                        starters.add(owner);
                    });
        }
        assertEquals(new TreeSet<>(PROCESS_STARTERS.keySet()), starters, "the list names no class that no longer does");
        PROCESS_STARTERS.forEach((owner, throughChildEnvironment) -> {
            if (throughChildEnvironment) {
                boolean calls = classes.stream()
                        .filter(c -> c.getName().replaceFirst("\\$.*", "").equals(owner))
                        .flatMap(c -> c.getMethodCallsFromSelf().stream())
                        .anyMatch(call -> call.getTargetOwner().getName().equals(ROOT + ".base.ChildEnvironment"));
                assertTrue(calls, owner + " starts processes without ChildEnvironment");
            }
        });
    }

    @Test
    void noCyclesBetweenPackages() {
        SlicesRuleDefinition.slices()
                .matching(ROOT + ".(*)..")
                .should()
                .beFreeOfCycles()
                .check(classes);
    }

    private static String stage(String pkg) {
        String rest = pkg.substring(ROOT.length() + 1);
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }
}
