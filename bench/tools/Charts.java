import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * PNG charts for bench/ (java.awt + javax.imageio, headless; JDK classes only).
 *
 * <pre>
 * java bench/tools/Charts.java timeline --out failover-kill.png --title "..." [--column successes] LABEL=timeline.csv ...
 * java bench/tools/Charts.java bars --tsv throughput.tsv --out-rps rps.png --out-p99 p99.png [--title "..."]
 * </pre>
 *
 * timeline: the CSVs of bench/tools/Timeline.java ({@code bin_ms,successes,primary,secondary,failures}); one line
 * per LABEL (successful responses per bin), the fault at 0 as a vertical line, failures as ticks under the axis.
 *
 * bars: a tab-separated file with a header line and the columns {@code scenario subject threads rps p50_ms p99_ms}
 * (one row per measurement; more columns are ignored; lines starting with # are comments). One group of bars per
 * scenario and thread count ("tls, 1 thr"), one bar per subject in the order of first appearance; one chart of
 * req/s and one of p99 in ms.
 */
public class Charts {

    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
            new Color(0x9467bd), new Color(0x8c564b)};
    static final int W = 1100, H = 560, LEFT = 80, RIGHT = 30, TOP = 62, BOTTOM = 80;

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        if (args.length == 0) {
            usage();
            System.exit(2);
        }
        switch (args[0]) {
            case "timeline" -> timeline(args);
            case "bars" -> bars(args);
            default -> {
                usage();
                System.exit(2);
            }
        }
    }

    static void usage() {
        System.err.println("""
                usage: java bench/tools/Charts.java timeline --out OUT.png [--title T] [--column successes] LABEL=FILE.csv ...
                       java bench/tools/Charts.java bars --tsv FILE.tsv [--out-rps OUT.png] [--out-p99 OUT.png] [--title T]""");
    }

    // ---- timeline ----------------------------------------------------------------------------------------------------
    record Series(String label, double[] x, double[] y, double[] failures) {
    }

    static void timeline(String[] args) throws IOException {
        String out = null, title = "Successful responses per bin around the fault", column = "successes";
        List<Series> series = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = args[++i];
                case "--title" -> title = args[++i];
                case "--column" -> column = args[++i];
                default -> inputs.add(args[i]);
            }
        }
        if (out == null || inputs.isEmpty()) {
            usage();
            System.exit(2);
        }
        for (String in : inputs) {
            int eq = in.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected LABEL=FILE.csv, got " + in);
            }
            List<String> lines = Files.readAllLines(Path.of(in.substring(eq + 1)));
            List<String> header = List.of(lines.get(0).split(","));
            int col = header.indexOf(column), fcol = header.indexOf("failures"), xcol = header.indexOf("bin_ms");
            if (col < 0 || xcol < 0) {
                throw new IllegalArgumentException(in + ": no column " + column + " or bin_ms in " + header);
            }
            int n = lines.size() - 1;
            double[] x = new double[n], y = new double[n], f = new double[n];
            for (int k = 0; k < n; k++) {
                String[] c = lines.get(k + 1).split(",");
                x[k] = Double.parseDouble(c[xcol]);
                y[k] = Double.parseDouble(c[col]);
                f[k] = fcol >= 0 ? Double.parseDouble(c[fcol]) : 0;
            }
            series.add(new Series(in.substring(0, eq), x, y, f));
        }
        double xmin = Double.MAX_VALUE, xmax = -Double.MAX_VALUE, ymax = 1, bin = 10;
        for (Series s : series) {
            if (s.x.length > 1) {
                bin = s.x[1] - s.x[0];
            }
            for (int k = 0; k < s.x.length; k++) {
                xmin = Math.min(xmin, s.x[k]);
                xmax = Math.max(xmax, s.x[k] + bin);
                ymax = Math.max(ymax, s.y[k]);
            }
        }
        ymax = niceCeil(ymax * 1.08);

        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        title(g, title);
        final double fxmin = xmin, fxmax = xmax, fymax = ymax;
        java.util.function.DoubleUnaryOperator px = v -> LEFT + (v - fxmin) / (fxmax - fxmin) * pw;
        java.util.function.DoubleUnaryOperator py = v -> TOP + ph - v / fymax * ph;

        // grid and axes
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double ystep = niceStep(ymax / 6);
        for (double v = 0; v <= ymax + 1e-9; v += ystep) {
            int yy = (int) py.applyAsDouble(v);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(LEFT, yy, LEFT + pw, yy);
            g.setColor(Color.DARK_GRAY);
            rightText(g, fmtNum(v), LEFT - 6, yy + 4);
        }
        double xstep = niceStep((xmax - xmin) / 10);
        for (double v = Math.ceil(xmin / xstep) * xstep; v <= xmax + 1e-9; v += xstep) {
            int xx = (int) px.applyAsDouble(v);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(xx, TOP, xx, TOP + ph);
            g.setColor(Color.DARK_GRAY);
            centerText(g, fmtNum(v / 1000) + " s", xx, TOP + ph + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        centerText(g, "time relative to the fault (bins of " + fmtNum(bin) + " ms; failures marked under the axis)", LEFT + pw / 2, H - 22);
        verticalText(g, "successful responses per " + fmtNum(bin) + " ms", 22, TOP + ph / 2);

        // the fault
        int x0 = (int) px.applyAsDouble(0);
        g.setColor(new Color(0x444444));
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
        g.drawLine(x0, TOP, x0, TOP + ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        g.drawString("fault (t = 0)", x0 + 5, TOP + 14);

        // the series: step lines
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            Color c = PALETTE[si % PALETTE.length];
            Path2D.Double path = new Path2D.Double();
            for (int k = 0; k < s.x.length; k++) {
                double xa = px.applyAsDouble(s.x[k]), xb = px.applyAsDouble(s.x[k] + bin), yv = py.applyAsDouble(s.y[k]);
                if (k == 0) {
                    path.moveTo(xa, yv);
                } else {
                    path.lineTo(xa, yv);
                }
                path.lineTo(xb, yv);
            }
            g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 200));
            g.setStroke(new BasicStroke(1.4f));
            g.draw(path);
            // failures: ticks below the plot, one row per series
            g.setStroke(new BasicStroke(2f));
            g.setColor(c);
            int row = TOP + ph + 26 + si * 7;
            for (int k = 0; k < s.x.length; k++) {
                if (s.failures[k] > 0) {
                    int xx = (int) px.applyAsDouble(s.x[k]);
                    g.drawLine(xx, row, xx, row + 5);
                }
            }
        }
        legend(g, series.stream().map(Series::label).toList(), LEFT + pw, TOP - 10);
        g.dispose();
        write(img, out);
    }

    // ---- bars --------------------------------------------------------------------------------------------------------
    static void bars(String[] args) throws IOException {
        String tsv = null, outRps = null, outP99 = null, title = "Throughput bench";
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--tsv" -> tsv = args[++i];
                case "--out-rps" -> outRps = args[++i];
                case "--out-p99" -> outP99 = args[++i];
                case "--title" -> title = args[++i];
                default -> {
                    usage();
                    System.exit(2);
                }
            }
        }
        if (tsv == null || (outRps == null && outP99 == null)) {
            usage();
            System.exit(2);
        }
        List<String> lines = Files.readAllLines(Path.of(tsv)).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        List<String> header = List.of(lines.get(0).split("\t"));
        int cs = col(header, "scenario"), cu = col(header, "subject"), ct = col(header, "threads"), cr = col(header, "rps"),
                cp = col(header, "p99_ms");
        Set<String> subjects = new LinkedHashSet<>();
        Map<String, Map<String, double[]>> groups = new LinkedHashMap<>();   // group -> subject -> {rps, p99}
        for (String l : lines.subList(1, lines.size())) {
            String[] c = l.split("\t");
            String group = c[cs] + ", " + c[ct] + " thr";
            subjects.add(c[cu]);
            groups.computeIfAbsent(group, k -> new LinkedHashMap<>()).put(c[cu],
                    new double[] {Double.parseDouble(c[cr]), Double.parseDouble(c[cp])});
        }
        if (outRps != null) {
            barChart(groups, new ArrayList<>(subjects), 0, title + ": throughput (req/s, higher is better)", "requests per second", outRps);
        }
        if (outP99 != null) {
            barChart(groups, new ArrayList<>(subjects), 1, title + ": p99 latency (ms, lower is better)", "p99 latency (ms)", outP99);
        }
    }

    static int col(List<String> header, String name) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("the TSV has no column " + name + " (header: " + header + ")");
        }
        return i;
    }

    static void barChart(Map<String, Map<String, double[]>> groups, List<String> subjects, int metric, String title, String yLabel,
            String out) throws IOException {
        double ymax = 0;
        for (Map<String, double[]> m : groups.values()) {
            for (double[] v : m.values()) {
                ymax = Math.max(ymax, v[metric]);
            }
        }
        ymax = niceCeil(Math.max(ymax * 1.12, 1e-9));
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        title(g, title);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double ystep = niceStep(ymax / 6);
        for (double v = 0; v <= ymax + 1e-9; v += ystep) {
            int yy = (int) (TOP + ph - v / ymax * ph);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(LEFT, yy, LEFT + pw, yy);
            g.setColor(Color.DARK_GRAY);
            rightText(g, fmtNum(v), LEFT - 6, yy + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        verticalText(g, yLabel, 22, TOP + ph / 2);

        int ng = groups.size(), ns = subjects.size();
        double gw = (double) pw / Math.max(1, ng);
        double bw = Math.min(70, gw * 0.8 / Math.max(1, ns));
        int gi = 0;
        for (Map.Entry<String, Map<String, double[]>> e : groups.entrySet()) {
            int present = e.getValue().size();
            double gx = LEFT + gi * gw + (gw - bw * present) / 2;
            int slot = 0;
            for (int si = 0; si < ns; si++) {
                double[] v = e.getValue().get(subjects.get(si));
                if (v == null) {
                    continue;   // only the subjects measured in this group take a slot; the colour stays the subject's
                }
                int h = (int) Math.round(v[metric] / ymax * ph);
                int x = (int) Math.round(gx + slot++ * bw);
                g.setColor(PALETTE[si % PALETTE.length]);
                g.fillRect(x, TOP + ph - h, (int) Math.round(bw) - 2, h);
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                centerText(g, fmtNum(v[metric]), x + (int) (bw / 2), TOP + ph - h - 4);
            }
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            centerText(g, e.getKey(), (int) (LEFT + gi * gw + gw / 2), TOP + ph + 20);
            gi++;
        }
        legend(g, subjects, LEFT + pw, TOP - 10);
        g.dispose();
        write(img, out);
    }

    // ---- drawing helpers ---------------------------------------------------------------------------------------------
    static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    static void title(Graphics2D g, String title) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        centerText(g, title, W / 2, 28);
    }

    /** A horizontal legend between the title and the plot, right-aligned. */
    static void legend(Graphics2D g, List<String> labels, int right, int y) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        FontMetrics fm = g.getFontMetrics();
        int w = 0;
        for (String l : labels) {
            w += 18 + 6 + fm.stringWidth(l) + 16;
        }
        int x = right - w;
        for (int i = 0; i < labels.size(); i++) {
            g.setColor(PALETTE[i % PALETTE.length]);
            g.fillRect(x, y - 10, 18, 10);
            g.setColor(Color.BLACK);
            g.drawString(labels.get(i), x + 24, y);
            x += 18 + 6 + fm.stringWidth(labels.get(i)) + 16;
        }
    }

    static void centerText(Graphics2D g, String s, int cx, int y) {
        g.drawString(s, cx - g.getFontMetrics().stringWidth(s) / 2, y);
    }

    static void rightText(Graphics2D g, String s, int rx, int y) {
        g.drawString(s, rx - g.getFontMetrics().stringWidth(s), y);
    }

    static void verticalText(Graphics2D g, String s, int x, int cy) {
        AffineTransform old = g.getTransform();
        g.rotate(-Math.PI / 2, x, cy);
        centerText(g, s, x, cy);
        g.setTransform(old);
    }

    static double niceStep(double raw) {
        if (raw <= 0) {
            return 1;
        }
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double r = raw / mag;
        return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * mag;
    }

    static double niceCeil(double v) {
        double step = niceStep(v / 6);
        return Math.ceil(v / step) * step;
    }

    static String fmtNum(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) {
            return String.format(Locale.ROOT, "%,d", (long) Math.rint(v));
        }
        return String.format(Locale.ROOT, Math.abs(v) < 10 ? "%.2f" : "%.1f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    static void write(BufferedImage img, String out) throws IOException {
        Path p = Path.of(out);
        if (p.getParent() != null) {
            Files.createDirectories(p.getParent());
        }
        ImageIO.write(img, "png", p.toFile());
        System.out.println("wrote " + p);
    }
}
