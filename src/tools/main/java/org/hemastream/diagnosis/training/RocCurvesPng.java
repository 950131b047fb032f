package org.hemastream.diagnosis.training;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Draws one-vs-rest ROC curves, one per class, with their AUCs in the legend (Java2D, headless). */
public final class RocCurvesPng {

    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    private RocCurvesPng() {
    }

    /**
     * @param curves per class, points (fpr, tpr)
     * @param names  legend text per curve; empty = no legend entry
     * @param dashed per curve, whether to dash it (e.g. the CBC-only curves)
     * @param colours curve c is drawn in colour c % colours (a class and its dashed twin share one)
     */
    public static void write(Path file, String title, List<String> names, List<List<double[]>> curves,
                             List<Boolean> dashed, int colours) throws IOException {
        int size = 720;
        int margin = 70;
        int plot = size - 2 * margin;
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, size, size);
            g.setColor(Color.LIGHT_GRAY);
            for (int i = 0; i <= 10; i++) {
                int v = margin + plot * i / 10;
                g.drawLine(margin, v, margin + plot, v);
                g.drawLine(v, margin, v, margin + plot);
            }
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{4f}, 0f));
            g.drawLine(margin, margin + plot, margin + plot, margin);
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.5f));
            g.drawRect(margin, margin, plot, plot);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, margin, margin - 25);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.drawString("false-positive rate (1 - specificity)", margin + plot / 2 - 110, size - 25);
            g.rotate(-Math.PI / 2);
            g.drawString("true-positive rate (sensitivity)", -(margin + plot / 2 + 95), 25);
            g.rotate(Math.PI / 2);
            for (int i = 0; i <= 10; i += 2) {
                String label = String.format(Locale.ROOT, "%.1f", i / 10.0);
                g.drawString(label, margin + plot * i / 10 - 9, margin + plot + 18);
                g.drawString(label, margin - 30, margin + plot - plot * i / 10 + 5);
            }
            for (int c = 0; c < curves.size(); c++) {
                g.setColor(COLORS[(c % colours) % COLORS.length]);
                g.setStroke(dashed.get(c) ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                        new float[]{6f, 4f}, 0f) : new BasicStroke(2.2f));
                double[] prev = null;
                for (double[] pt : curves.get(c)) {
                    if (prev != null) {
                        g.drawLine(margin + (int) Math.round(prev[0] * plot), margin + plot - (int) Math.round(prev[1] * plot),
                                margin + (int) Math.round(pt[0] * plot), margin + plot - (int) Math.round(pt[1] * plot));
                    }
                    prev = pt;
                }
                if (!names.get(c).isEmpty()) {
                    int ly = margin + plot - 20 - 18 * (colours - 1 - c % colours);
                    g.drawLine(margin + plot - 330, ly - 4, margin + plot - 305, ly - 4);
                    g.setColor(Color.BLACK);
                    g.drawString(names.get(c), margin + plot - 298, ly);
                }
            }
        } finally {
            g.dispose();
        }
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        ImageIO.write(img, "png", file.toFile());
    }
}
