package dev.multiarch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.testing.CliRun;
import org.junit.jupiter.api.Test;

/** Usage errors and help, without any registry. */
class MainTest {
    @Test
    void noArguments_printsCommandsAndExits2() {
        CliRun.Result r = CliRun.run();
        assertEquals(2, r.exit());
        assertTrue(r.out().contains("push from-spec"), r.out());
        assertTrue(r.out().contains("inspect"), r.out());
    }

    @Test
    void unknownCommand_oneLineExit2() {
        CliRun.Result r = CliRun.run("pusj");
        assertEquals(2, r.exit());
        assertEquals(
                "multiarch: error: unknown command 'pusj'; commands: push from-spec, push from-args, inspect, "
                        + "verify, build, serve, runner, demo (see multiarch --help)",
                r.err().strip());
    }

    @Test
    void missingRequiredOptions_namesThem() {
        CliRun.Result r = CliRun.run("push", "from-args", "--platforms", "linux/amd64");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("needs --template, --target"), r.err());
    }

    @Test
    void unknownOption_exit2() {
        CliRun.Result r = CliRun.run("inspect", "--nope", "reg.example/a:1");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("Unrecognized option: --nope"), r.err());
    }

    @Test
    void badType_exit2() {
        CliRun.Result r = CliRun.run(
                "push",
                "from-args",
                "--platforms",
                "linux/amd64",
                "--template",
                "127.0.0.1:1/a:ARCH",
                "--target",
                "127.0.0.1:1/a:1",
                "--type",
                "v1");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("unknown index type 'v1': use docker, oci or auto"), r.err());
    }

    @Test
    void invalidPlatform_exit2_beforeAnyNetwork() {
        CliRun.Result r = CliRun.run(
                "push",
                "from-args",
                "--platforms",
                "linux/amd64,linux/armv7",
                "--template",
                "127.0.0.1:1/a:ARCH",
                "--target",
                "127.0.0.1:1/a:1");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("'armv7' is not a known architecture; nearest valid: arm"), r.err());
    }

    @Test
    void help_perCommand() {
        CliRun.Result r = CliRun.run("push", "from-spec", "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("usage: multiarch push from-spec [OPTIONS] FILE"), r.out());
        assertTrue(r.out().contains("--append"), r.out());
    }

    @Test
    void passwordWithoutUsername_isAUsageError() {
        CliRun.Result r = CliRun.run("inspect", "--password", "x", "127.0.0.1:1/a:1");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("--password needs --username"), r.err());
    }
}
