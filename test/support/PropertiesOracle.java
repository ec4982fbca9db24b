// The reference for momlink's .properties reader: what java.util.Properties.load(InputStream)
// (the call an Enterprise Manager reads its properties with) makes of each file named on the
// command line. Prints one JSON object per file: {"file": ..., "ok": true, "values": {...}} or
// {"file": ..., "ok": false, "error": ...}. Run as `java PropertiesOracle.java <file>...`
// (JDK 11+ runs a single source file without a compile step).
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Properties;
import java.util.TreeMap;

public class PropertiesOracle {
    public static void main(String[] args) throws Exception {
        for (String file : args) {
            StringBuilder out = new StringBuilder("{\"file\":").append(json(file));
            try (InputStream in = new FileInputStream(file)) {
                Properties properties = new Properties();
                properties.load(in);
                out.append(",\"ok\":true,\"values\":{");
                boolean first = true;
                for (var entry : new TreeMap<>(properties).entrySet()) {
                    if (!first) out.append(',');
                    first = false;
                    out.append(json((String) entry.getKey())).append(':').append(json((String) entry.getValue()));
                }
                out.append('}');
            } catch (IllegalArgumentException e) {
                out.append(",\"ok\":false,\"error\":").append(json(String.valueOf(e.getMessage())));
            }
            System.out.println(out.append('}'));
        }
    }

    /** JSON string with every non-ASCII or control character as a \\u escape: exact whatever the console encoding. */
    private static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
