package dev.ccserve.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws {@code bench/results/latest.png} from {@code latest.json} with Java2D: one bar per ratio
 * (green when its target is met, red when missed, grey without a target) with the target marked,
 * and the absolute figures as text. Args: {@code JSON PNG}. Not a test.
 */
public final class BenchChart {
  private BenchChart() {}

  record Bar(String key, String label, double target, boolean atLeast) {}

  public static void main(String[] args) throws Exception {
    JsonNode j = new ObjectMapper().readTree(new File(args[0]));
    List<Bar> bars = List.of(
        new Bar("served_vs_inprocess", "served gRPC / in-process (b32)", 0.97, true),
        new Bar("confidential_vs_plain", "confidential / plaintext (b32)", 0.98, true),
        new Bar("batching_gain", "batching gain (16 clients, b1)", 1.4, true),
        new Bar("rest_vs_grpc", "REST / gRPC (b1)", 0.9, true),
        new Bar("encrypted_load_ratio", "encrypted / plain load time", 1.15, false));
    int w = 900;
    int h = 140 + bars.size() * 50 + 150;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
        RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.drawString("ccserve benchmark (ResNet-50 fp32, " + j.path("mode").asText() + " run, "
        + j.path("timestamp").asText() + ")", 20, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.drawString("load average during run: " + j.path("load_average").asText(), 20, 52);
    g.drawString("secure server: " + j.path("confidential_mode").asText(), 20, 70);
    int x0 = 290;
    int barMax = 520;
    double scaleMax = 2.0;
    int y = 95;
    for (Bar b : bars) {
      JsonNode v = j.get(b.key());
      g.setColor(Color.BLACK);
      g.drawString(b.label(), 20, y + 20);
      if (v == null || !v.isNumber()) {
        g.drawString("missing", x0, y + 20);
      } else {
        double d = v.asDouble();
        boolean hasTarget = !Double.isNaN(b.target());
        boolean met = b.atLeast() ? d >= b.target() : d <= b.target();
        g.setColor(!hasTarget ? Color.GRAY : met ? new Color(40, 160, 60)
            : new Color(200, 50, 50));
        g.fillRect(x0, y + 5, (int) (Math.min(d, scaleMax) / scaleMax * barMax), 22);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.3f", d),
            x0 + (int) (Math.min(d, scaleMax) / scaleMax * barMax) + 6, y + 21);
        if (hasTarget) {
          int tx = x0 + (int) (b.target() / scaleMax * barMax);
          g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
              new float[] {4f, 3f}, 0f));
          g.drawLine(tx, y, tx, y + 32);
          g.setStroke(new BasicStroke(1f));
          g.drawString("target " + (b.atLeast() ? ">= " : "<= ") + b.target(), tx + 4, y + 44);
        }
      }
      y += 50;
    }
    g.setColor(Color.LIGHT_GRAY);
    int one = x0 + (int) (1.0 / scaleMax * barMax);
    g.drawLine(one, 80, one, y);
    g.setColor(Color.BLACK);
    y += 20;
    for (String[] t : new String[][] {
        {"inprocess_images_per_s", "in-process TF images/s (batch 32)"},
        {"added_p50_ms", "p50 added by the server at batch 1, ms (target <= 1)"},
        {"decrypt_mb_s", "protected-file decrypt, MB/s"},
        {"key_release_p50_ms", "key release p50, ms (target <= 100)"},
        {"time_to_ready_ms", "confidential server time to ready (encrypted ResNet-50), ms"},
        {"time_to_ready_plain_ms", "plain server time to ready, ms"}}) {
      JsonNode v = j.get(t[0]);
      g.drawString(t[1] + ": " + (v == null || v.isNull() ? "missing"
          : String.format(Locale.ROOT, "%.2f", v.asDouble())), 20, y);
      y += 22;
    }
    g.dispose();
    ImageIO.write(img, "png", new File(args[1]));
  }
}
