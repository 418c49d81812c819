package dev.multiarch.config;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What RE2/J's parser does not say well about a tag rule's expression, read from its text before compiling:
 * <ul>
 *   <li>case-insensitive matching ({@code (?i)}), on which RE2/J can hang (see {@link #caseInsensitive});</li>
 *   <li>the {@code java.util.regex} features RE2 lacks by design (RE2 syntax reference: "NOT SUPPORTED"):
 *       backreferences, lookahead, lookbehind, atomic groups. RE2/J's own message for {@code \1} is "invalid escape
 *       sequence", and for {@code (?<=} "invalid named capture", which sends a person the wrong way;</li>
 *   <li>an upper bound of the compiled program's size: RE2/J expands {@code x{n}} into n copies of x, nested
 *       repetitions multiply, and it has no memory budget of its own.</li>
 * </ul>
 */
final class Re2Syntax {
    private Re2Syntax() {}

    private static final String WHY = "; tag rules use RE2 syntax, which matches in time linear in the tag and has no ";

    /** The reason the expression uses a feature RE2 does not have, or null. */
    static String unsupported(String re) {
        int n = re.length();
        int i = 0;
        while (i < n) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < n) {
                char d = re.charAt(i + 1);
                if (d >= '1' && d <= '9') {
                    return "'\\" + d + "' is a backreference" + WHY + "backreferences; match the text again instead";
                }
                if (d == 'k' && i + 2 < n && re.charAt(i + 2) == '<') {
                    return "'\\k<…>' is a named backreference" + WHY + "backreferences";
                }
                i = afterEscape(re, i);
            } else if (c == '[') {
                i = afterClass(re, i);
            } else if (c == '(' && re.startsWith("(?", i)) {
                String reason = group(re.substring(i, Math.min(n, i + 4)));
                if (reason == null) {
                    reason = caseInsensitive(re, i);
                }
                if (reason != null) {
                    return reason;
                }
                i++;
            } else {
                i++;
            }
        }
        return null;
    }

    /**
     * RE2/J loops for ever case-folding characters its Unicode tables do not know and the JDK's do (U+1C80…U+1C88
     * on Java 17: {@code (?i)ᲀ}, or any class reaching them, hangs {@code Pattern.compile}; google/re2j#168, found
     * again by RepoConfigFuzzTest#matchRule). Only the {@code i} flag makes RE2/J fold, so it is refused.
     */
    private static String caseInsensitive(String re, int i) {
        int j = i + 2;
        while (j < re.length() && "imsU-".indexOf(re.charAt(j)) >= 0) {
            j++;
        }
        if (j == i + 2 || j >= re.length() || (re.charAt(j) != ')' && re.charAt(j) != ':')) {
            return null;
        }
        String flags = re.substring(i + 2, j);
        int minus = flags.indexOf('-');
        if ((minus < 0 ? flags : flags.substring(0, minus)).indexOf('i') < 0) {
            return null;
        }
        return "'" + re.substring(i, j + 1) + "' asks for case-insensitive matching, which tag rules do not support"
                + " (RE2/J can loop for ever folding some characters); write both cases, e.g. [Vv]";
    }

    private static String group(String head) {
        if (head.startsWith("(?=") || head.startsWith("(?!")) {
            return "'" + head.substring(0, 3) + "' is a lookahead" + WHY + "lookaround";
        }
        if (head.startsWith("(?<=") || head.startsWith("(?<!")) {
            return "'" + head + "' is a lookbehind" + WHY + "lookaround";
        }
        if (head.startsWith("(?>")) {
            return "'(?>' is an atomic group" + WHY + "atomic groups (and needs none: it never backtracks)";
        }
        return null;
    }

    /** Saturation: sizes past this are "too large" whatever else the expression holds. */
    private static final long CAP = 1L << 40;

    /**
     * An upper bound of the number of instructions RE2/J compiles the expression into: concatenation and alternation
     * add, a group adds its capture, {@code x{n,m}} costs m copies of x (n+1 for {@code x{n,}}), {@code * + ?} one
     * more. Errors are left to RE2/J's parser; this only has to be an upper bound for the expressions it accepts.
     */
    static long expandedSize(String re) {
        Deque<long[]> outer = new ArrayDeque<>();
        long total = 0;
        long last = 0;
        int n = re.length();
        int i = 0;
        while (i < n) {
            char c = re.charAt(i);
            long atom = 1;
            switch (c) {
                case '\\' -> {
                    int end = afterEscape(re, i);
                    if (re.startsWith("\\Q", i)) {
                        atom = Math.max(1, end - i);
                    }
                    i = end;
                }
                case '[' -> i = afterClass(re, i);
                case '(' -> {
                    outer.push(new long[] {total, last});
                    total = 0;
                    last = 0;
                    i++;
                    continue;
                }
                case ')' -> {
                    i++;
                    if (outer.isEmpty()) {
                        continue;
                    }
                    atom = add(total, 2);
                    long[] o = outer.pop();
                    total = o[0];
                }
                case '|', '*', '+', '?' -> {
                    total = add(total, 1);
                    if (c == '|') {
                        last = 0;
                    }
                    i++;
                    continue;
                }
                case '{' -> {
                    int close = re.indexOf('}', i);
                    long count = close < 0 ? -1 : repeatCount(re.substring(i + 1, close));
                    if (count >= 0) {
                        // x{n,m} is x copied m times: m - 1 more copies of the last atom, and a split per copy.
                        total = add(total, add(mul(last, Math.max(0, count - 1)), count));
                        last = mul(last, Math.max(1, count));
                        i = close + 1;
                        continue;
                    }
                    i++;
                }
                default -> i++;
            }
            total = add(total, atom);
            last = atom;
        }
        while (!outer.isEmpty()) {
            total = add(outer.pop()[0], total);
        }
        return total;
    }

    /** The copies {@code {n}}, {@code {n,}} or {@code {n,m}} make (inside the braces), or -1 when it is no repeat. */
    private static long repeatCount(String inside) {
        int comma = inside.indexOf(',');
        String lo = comma < 0 ? inside : inside.substring(0, comma);
        String hi = comma < 0 ? lo : inside.substring(comma + 1);
        if (!digits(lo) || (!hi.isEmpty() && !digits(hi))) {
            return -1;
        }
        long low = number(lo);
        return hi.isEmpty() ? low + 1 : Math.max(low, number(hi));
    }

    private static boolean digits(String s) {
        return !s.isEmpty() && s.chars().allMatch(ch -> ch >= '0' && ch <= '9');
    }

    private static long number(String s) {
        return s.length() > 9 ? CAP : Long.parseLong(s);
    }

    private static long add(long a, long b) {
        return Math.min(CAP, a + b);
    }

    private static long mul(long a, long b) {
        return b != 0 && a > CAP / b ? CAP : Math.min(CAP, a * b);
    }

    /** The index after an escape at {@code i}: {@code \x}, {@code \x{…}}, {@code \p{…}}, {@code \Q…\E}. */
    private static int afterEscape(String re, int i) {
        int n = re.length();
        if (i + 1 >= n) {
            return n;
        }
        char d = re.charAt(i + 1);
        if (d == 'Q') {
            int e = re.indexOf("\\E", i + 2);
            return e < 0 ? n : e + 2;
        }
        if ((d == 'x' || d == 'p' || d == 'P') && i + 2 < n && re.charAt(i + 2) == '{') {
            int e = re.indexOf('}', i + 3);
            return e < 0 ? n : e + 1;
        }
        return i + 2;
    }

    /** The index after a character class opening at {@code i} ({@code []a]} and {@code [[:alpha:]]} included). */
    private static int afterClass(String re, int i) {
        int n = re.length();
        int j = i + 1;
        if (j < n && re.charAt(j) == '^') {
            j++;
        }
        if (j < n && re.charAt(j) == ']') {
            j++;
        }
        while (j < n) {
            char c = re.charAt(j);
            if (c == ']') {
                return j + 1;
            }
            if (c == '\\') {
                j = afterEscape(re, j);
            } else if (re.startsWith("[:", j)) {
                int e = re.indexOf(":]", j + 2);
                j = e < 0 ? j + 1 : e + 2;
            } else {
                j++;
            }
        }
        return n;
    }
}
