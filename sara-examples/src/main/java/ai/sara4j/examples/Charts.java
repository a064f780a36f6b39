package ai.sara4j.examples;

import ai.sara4j.core.io.AtomicFiles;
import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.svg.SVGProcessor;
import de.erichseifert.vectorgraphics2d.util.PageSize;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line charts written as PNG or SVG (by the file's extension), atomically. */
final class Charts {
    /** Size of one chart (one panel of a grid), in pixels. */
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;
    /** Panels per row of a {@link #grid}. */
    static final int GRID_COLUMNS = 2;

    private Charts() {}

    /** One line of a chart: x and y values of equal length. */
    record Series(double[] x, double[] y) {}

    /** Draws {@code series} (name → points) and writes it to {@code out} (.png or .svg). */
    static void lines(Path out, String title, String xTitle, String yTitle, Map<String, Series> series)
            throws IOException {
        boolean svg = isSvg(out);
        XYChart chart = chart(title, xTitle, yTitle, series);
        AtomicFiles.write(out, stream -> {
            if (svg) {
                VectorGraphicsEncoder.saveVectorGraphic(chart, stream, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            } else {
                BitmapEncoder.saveBitmap(chart, stream, BitmapEncoder.BitmapFormat.PNG);
            }
        });
    }

    /**
     * Draws one chart per panel (panel title → its lines), {@link #GRID_COLUMNS} to a row, all with the same axis
     * titles, and writes them as one image to {@code out} (.png or .svg).
     */
    static void grid(Path out, String xTitle, String yTitle, Map<String, Map<String, Series>> panels)
            throws IOException {
        boolean svg = isSvg(out);
        List<XYChart> charts = new ArrayList<>();
        panels.forEach((title, series) -> charts.add(chart(title, xTitle, yTitle, series)));
        int columns = Math.min(GRID_COLUMNS, charts.size());
        int rows = (charts.size() + columns - 1) / columns;
        int width = columns * WIDTH;
        int height = rows * HEIGHT;
        AtomicFiles.write(out, stream -> {
            if (svg) {
                VectorGraphics2D g = new VectorGraphics2D();
                paintGrid(g, charts, columns);
                new SVGProcessor().getDocument(g.getCommands(), new PageSize(0, 0, width, height)).writeTo(stream);
            } else {
                BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = image.createGraphics();
                try {
                    paintGrid(g, charts, columns);
                } finally {
                    g.dispose();
                }
                ImageIO.write(image, "png", stream);
            }
        });
    }

    /** Paints the panels row by row on a white page (a last row may have empty cells). */
    private static void paintGrid(Graphics2D g, List<XYChart> charts, int columns) {
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, columns * WIDTH, (charts.size() + columns - 1) / columns * HEIGHT);
        for (int i = 0; i < charts.size(); i++) {
            Graphics2D cell = (Graphics2D) g.create();
            try {
                cell.translate((i % columns) * WIDTH, (i / columns) * HEIGHT);
                charts.get(i).paint(cell, WIDTH, HEIGHT);
            } finally {
                cell.dispose();
            }
        }
    }

    private static boolean isSvg(Path out) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean svg = name.endsWith(".svg");
        if (!svg && !name.endsWith(".png")) {
            throw new IllegalArgumentException("chart file must end in .png or .svg: " + out);
        }
        return svg;
    }

    private static XYChart chart(String title, String xTitle, String yTitle, Map<String, Series> series) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        series.forEach((label, s) -> chart.addSeries(label, s.x(), s.y()).setMarker(SeriesMarkers.CIRCLE));
        return chart;
    }
}
