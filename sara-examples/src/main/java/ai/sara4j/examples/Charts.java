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
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line charts and heatmaps written as PNG or SVG (by the file's extension), atomically. */
final class Charts {
    /** Size of one chart (one panel of a grid), in pixels. */
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;
    /** Panels per row of a {@link #grid}. */
    static final int GRID_COLUMNS = 2;
    /** Width of one heatmap panel, and its height without the rows. */
    private static final int HEATMAP_WIDTH = 520;
    private static final int HEATMAP_BASE_HEIGHT = 140;
    private static final int HEATMAP_ROW_HEIGHT = 22;

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
        List<XYChart> charts = new ArrayList<>();
        panels.forEach((title, series) -> charts.add(chart(title, xTitle, yTitle, series)));
        writeGrid(out, charts, Math.min(GRID_COLUMNS, charts.size()), WIDTH, HEIGHT);
    }

    /**
     * One heatmap panel: {@code values[row][column]}, drawn with the columns along x and the rows along y (the first
     * row at the bottom).
     */
    record Heatmap(String title, String xTitle, List<Integer> columns, String yTitle, List<Integer> rows,
            double[][] values) {}

    /**
     * Draws the heatmaps {@code columns} to a row on one colour scale (the smallest to the largest value of all
     * panels), each cell labelled with its value (no colour bar), and writes them as one image to {@code out} (.png or .svg).
     */
    static void heatmaps(Path out, List<Heatmap> panels, int columns) throws IOException {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        int rows = 1;
        for (Heatmap panel : panels) {
            rows = Math.max(rows, panel.rows().size());
            for (double[] row : panel.values()) {
                for (double v : row) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        int height = HEATMAP_BASE_HEIGHT + HEATMAP_ROW_HEIGHT * rows;
        List<HeatMapChart> charts = new ArrayList<>();
        for (Heatmap panel : panels) {
            HeatMapChart chart = new HeatMapChartBuilder().width(HEATMAP_WIDTH).height(height).title(panel.title())
                    .xAxisTitle(panel.xTitle()).yAxisTitle(panel.yTitle()).build();
            chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
            // every cell shows its value, so the colour bar (as tall as a fixed 400 px in XChart) is left out
            chart.getStyler().setShowValue(true).setHeatMapValueDecimalPattern("0.000")
                    .setValueFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 11))
                    .setMin(min).setMax(max).setLegendVisible(false);
            List<Number[]> cells = new ArrayList<>();
            for (int r = 0; r < panel.rows().size(); r++) {
                for (int c = 0; c < panel.columns().size(); c++) {
                    cells.add(new Number[] {c, r, panel.values()[r][c]});
                }
            }
            chart.addSeries(panel.title(), panel.columns(), panel.rows(), cells);
            charts.add(chart);
        }
        writeGrid(out, charts, Math.min(columns, charts.size()), HEATMAP_WIDTH, height);
    }

    /** Paints the charts row by row on a white page (a last row may have empty cells) and writes the image. */
    private static void writeGrid(Path out, List<? extends Chart<?, ?>> charts, int columns, int cellWidth,
            int cellHeight) throws IOException {
        boolean svg = isSvg(out);
        int width = columns * cellWidth;
        int height = (charts.size() + columns - 1) / columns * cellHeight;
        AtomicFiles.write(out, stream -> {
            if (svg) {
                VectorGraphics2D g = new VectorGraphics2D();
                paintGrid(g, charts, columns, cellWidth, cellHeight);
                new SVGProcessor().getDocument(g.getCommands(), new PageSize(0, 0, width, height)).writeTo(stream);
            } else {
                BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = image.createGraphics();
                try {
                    paintGrid(g, charts, columns, cellWidth, cellHeight);
                } finally {
                    g.dispose();
                }
                ImageIO.write(image, "png", stream);
            }
        });
    }

    private static void paintGrid(Graphics2D g, List<? extends Chart<?, ?>> charts, int columns, int cellWidth,
            int cellHeight) {
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, columns * cellWidth, (charts.size() + columns - 1) / columns * cellHeight);
        for (int i = 0; i < charts.size(); i++) {
            Graphics2D cell = (Graphics2D) g.create();
            try {
                cell.translate((i % columns) * cellWidth, (i / columns) * cellHeight);
                charts.get(i).paint(cell, cellWidth, cellHeight);
            } finally {
                cell.dispose();
            }
        }
    }

    /**
     * Refuses a file name that is neither .png nor .svg, before any work.
     *
     * @throws IllegalArgumentException naming the file
     */
    static void checkImageName(Path out) {
        isSvg(out);
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
