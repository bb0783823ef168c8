package io.proxyfleet.cli;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.BlocklistParseException;
import io.proxyfleet.block.format.BlocklistParser;
import io.proxyfleet.block.format.ParseLimitException;
import io.proxyfleet.block.format.ParseLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads blocklist files for the command-line tools with the operator's own parser, turning every
 * failure into one line that names the file and what to do.
 */
final class BlocklistFileSet {

  private BlocklistFileSet() {}

  /** A file the tools could not use; the commands exit with status 2 and print the message. */
  static final class Unusable extends Exception {
    Unusable(String message) {
      super(message);
    }
  }

  static ParsedBlocklist read(
      Path file, BlocklistFormat format, Charset charset, BlockIndex.Builder combined)
      throws Unusable {
    return read(file, format, charset, combined, ParseLimits.DEFAULT);
  }

  static ParsedBlocklist read(
      Path file,
      BlocklistFormat format,
      Charset charset,
      BlockIndex.Builder combined,
      ParseLimits limits)
      throws Unusable {
    try (InputStream in = Files.newInputStream(file)) {
      return BlocklistParser.parse(in, format, charset, combined, limits);
    } catch (NoSuchFileException e) {
      throw new Unusable(file + ": no such file");
    } catch (ParseLimitException e) {
      throw new Unusable(
          file
              + ": too large: "
              + e.getMessage()
              + " (raise --max-entries or --max-content-bytes if the file is right)");
    } catch (BlocklistParseException e) {
      throw new Unusable(file + ": not read as " + format.wireName() + ": " + e.getMessage());
    } catch (IOException e) {
      throw new Unusable(file + ": cannot be read: " + e.getMessage());
    }
  }

  /** {@code --format ip-list|zapret-csv}. */
  static final class FormatConverter implements ITypeConverter<BlocklistFormat> {
    @Override
    public BlocklistFormat convert(String value) {
      return BlocklistFormat.fromWireName(value)
          .orElseThrow(
              () ->
                  new TypeConversionException(
                      "'"
                          + value
                          + "' is not a blocklist format; use one of "
                          + Arrays.stream(BlocklistFormat.values())
                              .map(BlocklistFormat::wireName)
                              .collect(Collectors.joining(", "))));
    }
  }

  /** {@code --encoding}: any charset name the JVM knows, e.g. UTF-8, windows-1251, UTF-16. */
  static final class CharsetConverter implements ITypeConverter<Charset> {
    @Override
    public Charset convert(String value) {
      try {
        return Charset.forName(value);
      } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
        throw new TypeConversionException(
            "'" + value + "' is not an encoding this JVM knows (e.g. UTF-8, windows-1251, UTF-16)");
      }
    }
  }
}
