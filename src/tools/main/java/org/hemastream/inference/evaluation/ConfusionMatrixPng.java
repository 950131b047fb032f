package org.hemastream.inference.evaluation;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

/**
 * Draws a {@link ConfusionMatrix} as a PNG with Java2D: true classes down the left, predicted classes
 * along the bottom, each cell coloured by its share of the row (row-normalised: the diagonal reads as
 * recall) and labelled with its count. Needs no display ({@code java.awt.headless} is set).
 */
public final class ConfusionMatrixPng {

    private static final int CELL = 46;
    private static final Color LOW = new Color(247, 251, 255);
    private static final Color HIGH = new Color(8, 48, 107);

    private ConfusionMatrixPng() {
    }

    /** Writes the matrix to {@code path} as PNG, creating parent folders. */
    public static void write(ConfusionMatrix matrix, String title, Path path) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> classes = matrix.classes();
        int n = classes.size();
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        Font countFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 15);

        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(labelFont);
        int longest = classes.stream().mapToInt(fm::stringWidth).max().orElse(40);
        pg.dispose();

        int left = longest + 40;
        int top = 60;
        int bottom = longest + 50;
        int width = left + n * CELL + 30;
        int height = top + n * CELL + bottom;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);

            g.setColor(Color.BLACK);
            g.setFont(titleFont);
            g.drawString(title, 10, 22);
            g.setFont(labelFont);
            g.drawString("rows: true class (colour = share of row), columns: predicted class", 10, 42);

            g.setFont(countFont);
            FontMetrics cm = g.getFontMetrics();
            for (int r = 0; r < n; r++) {
                long support = matrix.support(r);
                for (int c = 0; c < n; c++) {
                    long count = matrix.count(r, c);
                    double share = support == 0 ? 0 : (double) count / support;
                    int x = left + c * CELL;
                    int y = top + r * CELL;
                    g.setColor(blend(share));
                    g.fillRect(x, y, CELL, CELL);
                    if (count > 0) {
                        String text = Long.toString(count);
                        g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                        g.drawString(text, x + (CELL - cm.stringWidth(text)) / 2, y + (CELL + cm.getAscent()) / 2 - 2);
                    }
                }
            }
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1f));
            for (int i = 0; i <= n; i++) {
                g.drawLine(left, top + i * CELL, left + n * CELL, top + i * CELL);
                g.drawLine(left + i * CELL, top, left + i * CELL, top + n * CELL);
            }

            g.setColor(Color.BLACK);
            g.setFont(labelFont);
            for (int i = 0; i < n; i++) {
                String name = classes.get(i);
                g.drawString(name, left - 8 - fm.stringWidth(name), top + i * CELL + (CELL + fm.getAscent()) / 2 - 2);
                AffineTransform saved = g.getTransform();
                g.translate(left + i * CELL + (CELL + fm.getAscent()) / 2 - 2, top + n * CELL + 8);
                g.rotate(Math.PI / 2);
                g.drawString(name, 0, 0);
                g.setTransform(saved);
            }
        } finally {
            g.dispose();
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", path.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    private static Color blend(double t) {
        t = Math.max(0, Math.min(1, t));
        return new Color((int) Math.round(LOW.getRed() + t * (HIGH.getRed() - LOW.getRed())),
                (int) Math.round(LOW.getGreen() + t * (HIGH.getGreen() - LOW.getGreen())),
                (int) Math.round(LOW.getBlue() + t * (HIGH.getBlue() - LOW.getBlue())));
    }
}
