package dev.ccserve.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.attestation.snp.SnpReport.SigningKey;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnpProductTest {
  /** SHA-256 of the ARK certificates, from attestation.md section 6.2. */
  static final Map<SnpProduct, String> ARK_FINGERPRINTS = Map.of(
      SnpProduct.MILAN, "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd",
      SnpProduct.GENOA, "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1",
      SnpProduct.TURIN, "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a");

  @Test
  void pinnedArkKeys_equalKeysOfTestdataArks() throws Exception {
    Map<SnpProduct, String> files = Map.of(
        SnpProduct.MILAN, "ask_ark_milan.pem",
        SnpProduct.GENOA, "ask_ark_genoa.pem",
        SnpProduct.TURIN, "ask_ark_turin_vcek.pem");
    for (var e : files.entrySet()) {
      var ark = AmdCertificates.parseAll(SnpTestData.snp(e.getValue()), "t").get(1);
      assertThat(e.getKey().isPinnedArk(ark.getPublicKey())).as(e.getValue()).isTrue();
      assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ark.getEncoded())))
          .isEqualTo(ARK_FINGERPRINTS.get(e.getKey()));
    }
  }

  @Test
  void pinnedArkKeys_distinctPerProduct() {
    assertThat(SnpProduct.MILAN.arkSpki()).isNotEqualTo(SnpProduct.GENOA.arkSpki());
    assertThat(SnpProduct.GENOA.arkSpki()).isNotEqualTo(SnpProduct.TURIN.arkSpki());
  }

  @Test
  void bundledVlekChains_useProductArks() {
    assertThat(SnpTrustAnchors.bundled().chainsFor(SigningKey.VLEK, java.util.Optional.empty()))
        .extracting(SnpTrustAnchors.Chain::product)
        .containsExactlyInAnyOrder(SnpProduct.MILAN, SnpProduct.GENOA);
  }

  @Test
  void fromName_vcekProductNames() {
    assertThat(SnpProduct.fromName("Milan-B0")).contains(SnpProduct.MILAN);
    assertThat(SnpProduct.fromName("Genoa")).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.fromName("Siena-A0")).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.fromName("Turin-B0")).contains(SnpProduct.TURIN);
    assertThat(SnpProduct.fromName("Naples")).isEmpty();
  }

  @Test
  void tcbDecode_milanAndTurinLayouts() {
    SnpTcb milan = SnpTcb.decode(0x4405000000000002L, SnpProduct.MILAN);
    SnpTcb turin = SnpTcb.decode(0x4400000005000201L, SnpProduct.TURIN);

    assertThat(milan.kdsQuery(SnpProduct.MILAN)).isEqualTo("blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68");
    assertThat(turin.kdsQuery(SnpProduct.TURIN)).isEqualTo("fmcSPL=1&blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68");
  }
}
