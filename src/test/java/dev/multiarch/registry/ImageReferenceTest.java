package dev.multiarch.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    private static final String D = "sha256:" + "a".repeat(64);

    @Test
    void parse_dockerHubShortNames() {
        ImageReference r = ImageReference.parse("busybox");
        assertEquals("docker.io", r.registry());
        assertEquals("library/busybox", r.repository());
        assertNull(r.tag());
        assertEquals("latest", r.manifestReference());
        assertEquals("registry-1.docker.io", r.apiHost());
        assertEquals(
                "estesp/debian", ImageReference.parse("estesp/debian:jessie").repository());
    }

    @Test
    void parse_registryWithPortTagAndDigest() {
        ImageReference r = ImageReference.parse("127.0.0.1:5000/team/app:1.0@" + D);
        assertEquals("127.0.0.1:5000", r.registry());
        assertEquals("team/app", r.repository());
        assertEquals("1.0", r.tag());
        assertEquals(D, r.digest().toString());
        assertEquals(D, r.manifestReference(), "a digest wins over the tag");
        assertEquals("127.0.0.1:5000/team/app:1.0@" + D, r.toString());
    }

    @Test
    void parse_localhostIsARegistry() {
        assertEquals("localhost", ImageReference.parse("localhost/app").registry());
        assertEquals(
                "localhost:5000", ImageReference.parse("localhost:5000/app:x").registry());
    }

    @Test
    void registryHost_isLowerCased_beforeDockerHubAliasing() {
        ImageReference r = ImageReference.parse("GHCR.IO/acme/app:1.0");
        assertEquals("ghcr.io", r.registry());
        assertEquals("ghcr.io/acme/app:1.0", r.toString());
        assertEquals(ImageReference.parse("ghcr.io/acme/app"), ImageReference.parse("GHCR.io/acme/app"));
        assertEquals("docker.io", ImageReference.parse("Docker.IO/acme/app").registry());
        assertEquals(
                "docker.io/library/busybox",
                ImageReference.parse("Index.Docker.IO/busybox").toString());
        assertEquals(
                "localhost:5000", ImageReference.parse("LocalHost:5000/app").registry());
        assertEquals("reg.example", new ImageReference("REG.Example", "app", null, null).registry());
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("GHCR.IO/Acme/app"), "paths stay");
    }

    @Test
    void parse_rejectsBadNames() {
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("reg.io/App:1"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("reg.io/app:-bad"));
        assertTrue(e.getMessage().contains("invalid tag"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("reg.io/app@sha256:short"));
    }

    @Test
    void digest_validatedAndComputed() {
        Digest d = Digest.sha256("hello".getBytes());
        assertEquals("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", d.toString());
        assertTrue(d.matches("hello".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:XYZ"));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("md5:" + "a".repeat(32)));
    }

    @Test
    void mediaType_comparisonIgnoresParametersAndCase() {
        assertTrue(MediaType.isIndex("Application/vnd.oci.image.index.v1+json; charset=utf-8"));
        assertTrue(MediaType.same(MediaType.DOCKER_MANIFEST, " application/vnd.docker.distribution.manifest.v2+json "));
    }

    /** Fuzzing found these accepted, and failing only later when a URL was made for the registry. */
    @Test
    void parse_registryThatMakesNoUrl_isRefusedWithTheReason() {
        for (String bad :
                new String[] {"[::1]:500p/x:y", "a b.example/x", "reg.example:99999/x", "[zz::1]/x", "a..b/x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(bad));
            assertTrue(e.getMessage().startsWith("invalid registry '"), e.getMessage());
            assertTrue(e.getMessage().contains("host name or [IPv6 address], optionally with :port"), e.getMessage());
        }
        assertEquals("[::1]:5000", ImageReference.parse("[::1]:5000/x:y").registry());
        assertEquals(
                "xn--bcher-kva.example",
                ImageReference.parse("xn--bcher-kva.example/a").registry());
    }

    /** Found with EventRouterFuzzTest's store finding: names longer than distribution allows do not fit the store. */
    @Test
    void parse_nameOver255Characters_isRefused() {
        String name = "reg.example/" + "a".repeat(243);
        assertEquals(255, ImageReference.parse(name).toString().length());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(name + "a:1.0"));
        assertTrue(e.getMessage().endsWith(" is 256 characters long; at most 255"), e.getMessage());
    }
}
