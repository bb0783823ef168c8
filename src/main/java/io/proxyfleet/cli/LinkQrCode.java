package io.proxyfleet.cli;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * One link as a QR code (ZXing's encoder, error correction M: a phone camera reads it off a screen
 * or a crumpled print-out). A quiet zone of four modules, as the QR standard asks.
 */
final class LinkQrCode {

  static final int QUIET_ZONE = 4;

  private final BitMatrix modules;

  private LinkQrCode(BitMatrix modules) {
    this.modules = modules;
  }

  static LinkQrCode of(String link) {
    try {
      // Width and height 0: one pixel per module, so the matrix is exactly the code plus its quiet
      // zone.
      return new LinkQrCode(
          new QRCodeWriter()
              .encode(
                  link,
                  BarcodeFormat.QR_CODE,
                  0,
                  0,
                  Map.of(
                      EncodeHintType.ERROR_CORRECTION,
                      ErrorCorrectionLevel.M,
                      EncodeHintType.CHARACTER_SET,
                      "UTF-8",
                      EncodeHintType.MARGIN,
                      QUIET_ZONE)));
    } catch (WriterException e) {
      throw new IllegalArgumentException(
          "link too long for a QR code (" + link.length() + " characters)", e);
    }
  }

  /** Modules per side, quiet zone included. */
  int size() {
    return modules.getWidth();
  }

  boolean dark(int x, int y) {
    return x >= 0
        && y >= 0
        && x < modules.getWidth()
        && y < modules.getHeight()
        && modules.get(x, y);
  }

  /**
   * Two module rows per text line with Unicode half blocks. Light modules are drawn and dark ones
   * left blank, for the usual light-on-dark terminal, as {@code qrencode -t utf8} does.
   */
  String terminalText() {
    StringBuilder out = new StringBuilder();
    for (int y = 0; y < size(); y += 2) {
      for (int x = 0; x < size(); x++) {
        boolean top = !dark(x, y);
        boolean bottom = y + 1 < size() ? !dark(x, y + 1) : false;
        out.append(top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ');
      }
      out.append('\n');
    }
    return out.toString();
  }

  /** A black-on-white PNG, {@code scale} pixels per module. */
  byte[] png(int scale) {
    BufferedImage image =
        new BufferedImage(size() * scale, size() * scale, BufferedImage.TYPE_BYTE_BINARY);
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        image.setRGB(x, y, dark(x / scale, y / scale) ? 0xFF000000 : 0xFFFFFFFF);
      }
    }
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      ImageIO.write(image, "png", bytes);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
