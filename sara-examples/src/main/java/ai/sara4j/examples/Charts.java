package ai.sara4j.examples;

import ai.sara4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line charts written as PNG or SVG (by the file's extension), atomically. */
final class Charts {
    private Charts() {}

    /** One line of a chart: x and y values of equal length. */
    record Series(double[] x, double[] y) {}

    /** Draws {@code series} (name → points) and writes it to {@code out} (.png or .svg). */
    static void lines(Path out, String title, String xTitle, String yTitle, Map<String, Series> series)
            throws IOException {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean svg = name.endsWith(".svg");
        if (!svg && !name.endsWith(".png")) {
            throw new IllegalArgumentException("chart file must end in .png or .svg: " + out);
        }
        XYChart chart = new XYChartBuilder().width(900).height(520).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        series.forEach((label, s) -> chart.addSeries(label, s.x(), s.y()).setMarker(SeriesMarkers.CIRCLE));
        AtomicFiles.write(out, stream -> {
            if (svg) {
                VectorGraphicsEncoder.saveVectorGraphic(chart, stream, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            } else {
                BitmapEncoder.saveBitmap(chart, stream, BitmapEncoder.BitmapFormat.PNG);
            }
        });
    }
}
