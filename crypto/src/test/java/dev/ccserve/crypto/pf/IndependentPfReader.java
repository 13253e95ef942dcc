package dev.ccserve.crypto.pf;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A second, deliberately separate implementation of the PF v2 reader, written in the test
 * sources from {@code reference/protected-files.md} and using only the JDK (its own AES-CMAC on
 * AES/ECB, its own node placement computed by walking the file order instead of the closed-form
 * formulas). Files written by {@link GraminePfWriter} must decrypt with it. Whole file in memory;
 * throws {@link IllegalStateException} on any failure.
 */
final class IndependentPfReader {
  /** Everything the reader learned. */
  record Result(String path, long size, byte[] plaintext, List<byte[]> mhtNodes,
      long nodesUsed) {}

  private IndependentPfReader() {}

  static Result read(byte[] file, byte[] wrapKey) {
    check(file.length > 0 && file.length % 4096 == 0, "size not a multiple of 4096");
    check(Arrays.equals(Arrays.copyOfRange(file, 0, 8),
        "GRAFS_PF".getBytes(StandardCharsets.US_ASCII)), "file id");
    check(file[8] == 2, "major version");
    byte[] nonce = Arrays.copyOfRange(file, 10, 42);
    byte[] kdf = new byte[104];
    kdf[0] = 1;
    byte[] label = "SGX-PROTECTED-FS-METADATA-KEY".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(label, 0, kdf, 4, label.length);
    System.arraycopy(nonce, 0, kdf, 68, 32);
    kdf[100] = (byte) 0x80; // 128 bits, little-endian u32
    byte[] metaKey = cmac(wrapKey, kdf);
    byte[] meta = gcmOpen(metaKey, Arrays.copyOfRange(file, 59, 59 + 3884),
        Arrays.copyOfRange(file, 42, 58));
    int nul = 0;
    while (meta[nul] != 0) {
      nul++;
    }
    String path = new String(meta, 0, nul, StandardCharsets.UTF_8);
    long size = 0;
    for (int i = 0; i < 8; i++) {
      size |= (long) (meta[772 + i] & 0xFF) << (8 * i);
    }
    check(size >= 0 && size < Integer.MAX_VALUE, "size");
    byte[] out = new byte[(int) size];
    System.arraycopy(meta, 812, out, 0, (int) Math.min(size, 3072));
    List<byte[]> mhts = new ArrayList<>();
    if (size <= 3072) {
      return new Result(path, size, out, mhts, 1);
    }
    int dataNodes = (int) ((size - 3072 + 4095) / 4096);
    // walk the file order: metadata, then per MHT node: the MHT node, then its (up to) 96 data nodes
    List<Integer> mhtPos = new ArrayList<>();
    int[] dataPos = new int[dataNodes];
    int pos = 1;
    for (int k = 0; k < dataNodes; k++) {
      if (k % 96 == 0) {
        mhtPos.add(pos++);
      }
      dataPos[k] = pos++;
    }
    check((long) pos * 4096 <= file.length, "truncated");
    // MHT nodes in BFS order; node m's key comes from the root entry or its parent's child entry
    for (int m = 0; m < mhtPos.size(); m++) {
      byte[] key;
      byte[] tag;
      if (m == 0) {
        key = Arrays.copyOfRange(meta, 780, 796);
        tag = Arrays.copyOfRange(meta, 796, 812);
      } else {
        byte[] parent = mhts.get((m - 1) / 32);
        int e = 3072 + ((m - 1) % 32) * 32;
        key = Arrays.copyOfRange(parent, e, e + 16);
        tag = Arrays.copyOfRange(parent, e + 16, e + 32);
      }
      int p = mhtPos.get(m);
      mhts.add(gcmOpen(key, Arrays.copyOfRange(file, p * 4096, p * 4096 + 4096), tag));
    }
    for (int k = 0; k < dataNodes; k++) {
      byte[] mht = mhts.get(k / 96);
      int e = (k % 96) * 32;
      byte[] plain = gcmOpen(Arrays.copyOfRange(mht, e, e + 16),
          Arrays.copyOfRange(file, dataPos[k] * 4096, dataPos[k] * 4096 + 4096),
          Arrays.copyOfRange(mht, e + 16, e + 32));
      int start = 3072 + k * 4096;
      System.arraycopy(plain, 0, out, start, (int) Math.min(4096, size - start));
    }
    return new Result(path, size, out, mhts, pos);
  }

  static byte[] cmac(byte[] key, byte[] msg) {
    try {
      Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
      aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
      byte[] k1 = doubleBlock(aes.doFinal(new byte[16]));
      byte[] k2 = doubleBlock(k1);
      int blocks = Math.max(1, (msg.length + 15) / 16);
      boolean complete = msg.length > 0 && msg.length % 16 == 0;
      byte[] x = new byte[16];
      for (int b = 0; b < blocks; b++) {
        byte[] block = new byte[16];
        int off = b * 16;
        int n = Math.min(16, msg.length - off);
        System.arraycopy(msg, off, block, 0, Math.max(n, 0));
        if (b == blocks - 1) {
          if (!complete) {
            block[Math.max(n, 0)] = (byte) 0x80;
          }
          byte[] sub = complete ? k1 : k2;
          for (int i = 0; i < 16; i++) {
            block[i] ^= sub[i];
          }
        }
        for (int i = 0; i < 16; i++) {
          x[i] ^= block[i];
        }
        x = aes.doFinal(x);
      }
      return x;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] doubleBlock(byte[] in) {
    byte[] out = new byte[16];
    for (int i = 0; i < 16; i++) {
      out[i] = (byte) ((in[i] << 1) | (i < 15 ? (in[i + 1] & 0xFF) >>> 7 : 0));
    }
    if ((in[0] & 0x80) != 0) {
      out[15] ^= (byte) 0x87;
    }
    return out;
  }

  private static byte[] gcmOpen(byte[] key, byte[] ct, byte[] tag) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, new byte[12]));
      c.update(ct);
      return c.doFinal(tag);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("GCM tag check failed", e);
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("independent reader: " + what);
    }
  }
}
