package dev.ccserve.client;

import com.google.protobuf.ByteString;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Builds the seed client's input tensor: DT_FLOAT, shape [batch, 224, 224, 3] (NHWC), values in
 * {@code tensor_content} (little-endian float32). Random inputs are uniform integers 0..254 as
 * floats, like {@code np.random.randint(0, 255)}. Image inputs are decoded with {@code
 * javax.imageio} (JPEG, PNG, BMP, GIF), converted to RGB, resized to 224x224 (area averaging when
 * shrinking, bilinear when enlarging), values 0..255 without mean subtraction, and repeated
 * {@code batch} times. (The seed instead reshaped OpenCV's BGR pixels without resizing.)
 * Stateless and thread-safe.
 */
public final class ResnetInputs {
  public static final int SIZE = 224;
  public static final int CHANNELS = 3;
  public static final int VALUES_PER_IMAGE = SIZE * SIZE * CHANNELS;

  private ResnetInputs() {}

  public static TensorProto random(int batch, SplittableRandom random) {
    ByteBuffer buf = buffer(batch);
    for (int i = 0; i < batch * VALUES_PER_IMAGE; i++) {
      buf.putFloat(random.nextInt(255));
    }
    return tensor(batch, buf);
  }

  public static TensorProto fromImage(Path file, int batch) {
    float[] pixels = imagePixels(file);
    ByteBuffer buf = buffer(batch);
    for (int b = 0; b < batch; b++) {
      for (float v : pixels) {
        buf.putFloat(v);
      }
    }
    return tensor(batch, buf);
  }

  /** The image as 224x224x3 RGB floats 0..255, row-major. */
  public static float[] imagePixels(Path file) {
    BufferedImage src;
    try {
      src = ImageIO.read(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read image '" + file + "': " + e.getMessage());
    }
    if (src == null) {
      throw new IllegalArgumentException(
          "cannot decode image '" + file + "': expected JPEG, PNG, BMP or GIF");
    }
    BufferedImage rgb = resize(src);
    float[] out = new float[VALUES_PER_IMAGE];
    int i = 0;
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        int p = rgb.getRGB(x, y);
        out[i++] = (p >> 16) & 0xff;
        out[i++] = (p >> 8) & 0xff;
        out[i++] = p & 0xff;
      }
    }
    return out;
  }

  static BufferedImage resize(BufferedImage src) {
    BufferedImage dst = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = dst.createGraphics();
    try {
      if (src.getWidth() > SIZE || src.getHeight() > SIZE) {
        Image scaled = src.getScaledInstance(SIZE, SIZE, Image.SCALE_AREA_AVERAGING);
        g.drawImage(scaled, 0, 0, null);
      } else {
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, SIZE, SIZE, null);
      }
    } finally {
      g.dispose();
    }
    return dst;
  }

  private static ByteBuffer buffer(int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("expected a batch size >= 1, found " + batch);
    }
    return ByteBuffer.allocate(batch * VALUES_PER_IMAGE * 4).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static TensorProto tensor(int batch, ByteBuffer buf) {
    buf.flip();
    return TensorProto.newBuilder()
        .setDtype(DataType.DT_FLOAT)
        .setTensorShape(TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(batch))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(SIZE))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(SIZE))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(CHANNELS)))
        .setTensorContent(ByteString.copyFrom(buf))
        .build();
  }

  /**
   * The tensor as TF Serving REST JSON (nested lists, row-major). Integral values are written as
   * integers, others in Java's shortest float form.
   */
  public static String toJsonList(TensorProto t) {
    int[] dims = t.getTensorShape().getDimList().stream().mapToInt(d -> (int) d.getSize()).toArray();
    ByteBuffer buf = t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    StringBuilder sb = new StringBuilder(buf.remaining() * 2);
    appendLevel(sb, dims, 0, buf);
    return sb.toString();
  }

  private static void appendLevel(StringBuilder sb, int[] dims, int level, ByteBuffer buf) {
    sb.append('[');
    for (int i = 0; i < dims[level]; i++) {
      if (i > 0) {
        sb.append(',');
      }
      if (level == dims.length - 1) {
        float f = buf.getFloat();
        if (f == Math.rint(f) && Math.abs(f) < 1e7) {
          sb.append((int) f);
        } else {
          sb.append(f);
        }
      } else {
        appendLevel(sb, dims, level + 1, buf);
      }
    }
    sb.append(']');
  }
}
