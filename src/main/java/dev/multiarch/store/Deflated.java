package dev.multiarch.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Text stored compressed: UTF-8, deflated in the zlib format (RFC 1950; {@code zlib-flate -uncompress} or Python's
 * {@code zlib.decompress} read a value taken out of the database by hand). Webhook payloads shrink about five-fold;
 * a short log chunk gains less but never more than the 11 bytes of zlib's header, trailer and one stored block.
 */
final class Deflated {
    private Deflated() {}

    static byte[] of(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION);
        try {
            d.setInput(in);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.length / 4));
            byte[] buf = new byte[8192];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    static String text(byte[] deflated) {
        Inflater i = new Inflater();
        try {
            i.setInput(deflated);
            ByteArrayOutputStream out = new ByteArrayOutputStream(deflated.length * 5);
            byte[] buf = new byte[8192];
            while (!i.finished()) {
                int n = i.inflate(buf);
                if (n == 0 && (i.needsInput() || i.needsDictionary())) {
                    throw new StoreException("a stored value is cut short (deflated data ends early)", null);
                }
                out.write(buf, 0, n);
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (DataFormatException e) {
            throw new StoreException("a stored value is not valid deflated data: " + e.getMessage(), e);
        } finally {
            i.end();
        }
    }

    /** A column pair as one text: the deflated bytes when present, else the plain text of an older row. */
    static String either(byte[] deflated, String plain) {
        return deflated != null ? text(deflated) : plain;
    }
}
