package dev.multiarch.platform;

import java.util.List;
import java.util.Optional;

/**
 * Which architecture an ELF file is for, from its header alone (System V ABI, "ELF Header"): {@code EI_CLASS} (32/64
 * bit), {@code EI_DATA} (byte order) and {@code e_machine}. Used to catch images whose config names one platform while
 * their programs are built for another.
 */
public final class ElfMachine {
    private ElfMachine() {}

    /** What an ELF header says: class, byte order, machine, and whether it is an executable or shared object. */
    public record Header(int elfClass, boolean littleEndian, int machine, int type) {
        /** Go's name for the architecture, as image configs write it; empty when unknown. */
        public Optional<String> architecture() {
            for (Row r : TABLE) {
                if (r.machine == machine && r.elfClass == elfClass && r.littleEndian == littleEndian) {
                    return Optional.of(r.arch);
                }
            }
            return Optional.empty();
        }

        /** e.g. "x86-64 (ELF64 LSB, e_machine 62)". */
        public String describe() {
            String name = "e_machine " + machine;
            for (Row r : TABLE) {
                if (r.machine == machine) {
                    name = r.display;
                    break;
                }
            }
            return name + " (ELF" + (elfClass == 2 ? "64" : "32") + (littleEndian ? " LSB" : " MSB") + ", e_machine "
                    + machine + ")";
        }

        /** ET_EXEC or ET_DYN: something that runs or is loaded, not an object file or core dump. */
        public boolean loadable() {
            return type == 2 || type == 3;
        }
    }

    private record Row(String arch, int machine, int elfClass, boolean littleEndian, String display) {}

    /** Architecture ↔ (e_machine, class, byte order); classes: 1 = ELF32, 2 = ELF64. */
    private static final List<Row> TABLE = List.of(
            new Row("amd64", 62, 2, true, "x86-64"),
            new Row("386", 3, 1, true, "Intel 80386"),
            new Row("arm64", 183, 2, true, "AArch64"),
            new Row("arm", 40, 1, true, "ARM"),
            new Row("ppc64le", 21, 2, true, "PowerPC64 little-endian"),
            new Row("ppc64", 21, 2, false, "PowerPC64 big-endian"),
            new Row("s390x", 22, 2, false, "IBM S/390"),
            new Row("riscv64", 243, 2, true, "RISC-V"),
            new Row("loong64", 258, 2, true, "LoongArch"),
            new Row("mips64le", 8, 2, true, "MIPS64 little-endian"),
            new Row("mips64", 8, 2, false, "MIPS64 big-endian"),
            new Row("mipsle", 8, 1, true, "MIPS little-endian"),
            new Row("mips", 8, 1, false, "MIPS big-endian"));

    /** Parses the first 20 bytes of a file; empty when it is not ELF. */
    public static Optional<Header> parse(byte[] head, int length) {
        if (length < 20 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') {
            return Optional.empty();
        }
        int cls = head[4];
        int data = head[5];
        if ((cls != 1 && cls != 2) || (data != 1 && data != 2)) {
            return Optional.empty();
        }
        boolean le = data == 1;
        int type = le ? (head[16] & 0xff) | (head[17] & 0xff) << 8 : (head[17] & 0xff) | (head[16] & 0xff) << 8;
        int machine = le ? (head[18] & 0xff) | (head[19] & 0xff) << 8 : (head[19] & 0xff) | (head[18] & 0xff) << 8;
        return Optional.of(new Header(cls, le, machine, type));
    }

    /**
     * Whether a binary of this header runs as {@code platform} (normalised): the same architecture, or one the
     * platform's CPUs also execute (amd64 runs 386, arm64 runs arm).
     */
    public static boolean fits(Header h, Platform platform) {
        Optional<String> arch = h.architecture();
        if (arch.isEmpty()) {
            return false;
        }
        String want = platform.normalize().architecture();
        return arch.get().equals(want)
                || (want.equals("amd64") && arch.get().equals("386"))
                || (want.equals("arm64") && arch.get().equals("arm"));
    }
}
