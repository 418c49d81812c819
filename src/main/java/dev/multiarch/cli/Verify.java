package dev.multiarch.cli;

import dev.multiarch.publish.KeyFileException;
import dev.multiarch.publish.PublicKeys;
import dev.multiarch.publish.SignatureCheck;
import dev.multiarch.publish.Verifier;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code multiarch verify IMAGE --key cosign.pub [--all]}: checks an image's cosign signature (the {@code .sig} tag)
 * with a public key, as {@code cosign verify --key --insecure-ignore-tlog} does. Exit 0: signed with that key; 3: not
 * (no signature, a signature that does not verify, or one made for another digest); 1: the registry could not be
 * read; 2: bad input (usage, a key file that is not an ECDSA P-256 public key).
 */
final class Verify implements Command {
    static final int NOT_VERIFIED = 3;

    @Override
    public List<String> words() {
        return List.of("verify");
    }

    @Override
    public String summary() {
        return "Check an image's cosign signature with a public key (--all: its platform images too).";
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public Options options() {
        return RegistryFlags.add(new Options())
                .addOption(Option.builder()
                        .longOpt("key")
                        .hasArg()
                        .required()
                        .argName("FILE")
                        .desc("The public key (PEM PUBLIC KEY, e.g. cosign.pub), ECDSA P-256.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("all")
                        .desc("For an index: check each platform image's signature too (what podman checks when it"
                                + " pulls one); attestation manifests are skipped.")
                        .build());
    }

    @Override
    public int run(CommandLine cl, PrintWriter out, PrintWriter err) {
        if (cl.getArgList().size() != 1) {
            throw new UsageException(
                    "verify takes one image reference, got " + cl.getArgList().size());
        }
        ImageReference ref = ImageReference.parse(cl.getArgList().get(0));
        ECPublicKey key;
        try {
            key = PublicKeys.load(Path.of(cl.getOptionValue("key")));
        } catch (KeyFileException e) {
            err.println("multiarch: error: " + e.getMessage());
            return 2;
        }
        try (RegistryClient client = RegistryFlags.client(cl, ref.registry())) {
            Manifest m = client.getManifest(ref);
            Digest digest = m.digest();
            if (ref.digest() != null && !ref.digest().equals(digest)) {
                err.println("multiarch: error: the registry served " + digest + " for " + ref);
                return NOT_VERIFIED;
            }
            ImageReference repo = ref.withTag(null);
            List<Descriptor> targets = new ArrayList<>();
            targets.add(m.descriptor());
            if (cl.hasOption("all") && m.isIndex()) {
                targets.addAll(Verifier.imageEntries(m.entries()));
            }
            SignatureCheck check = new SignatureCheck(client);
            boolean all = true;
            for (Descriptor d : targets) {
                String what = d.digest().equals(digest)
                        ? (m.isIndex() ? "index" : "image")
                        : d.platform() == null ? "child" : d.platform().shortForm();
                SignatureCheck.Result r = check.check(repo, d.digest(), key);
                String at = repo.registry() + "/" + repo.repository() + "@" + d.digest();
                if (r.verified()) {
                    out.println(
                            "Verified " + at + " (" + what + "): signed by the key as " + String.join(", ", r.valid()));
                    if (r.valid().stream().noneMatch(id -> sameRepository(id, repo))) {
                        err.println("multiarch: warning: " + at + " was signed for " + String.join(", ", r.valid())
                                + ", another repository (a copy?)");
                    }
                } else {
                    all = false;
                    out.println("NOT verified " + at + " (" + what + ")");
                }
                for (String p : r.problems()) {
                    err.println("multiarch: " + (r.verified() ? "note" : "error") + ": " + p);
                }
            }
            out.flush();
            err.flush();
            return all ? 0 : NOT_VERIFIED;
        }
    }

    private static boolean sameRepository(String dockerReference, ImageReference repo) {
        try {
            return ImageReference.parse(dockerReference).sameRepository(repo);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
