import BreachHash
import Testing

@Suite struct PasswordHasherTests {
    @Test func sha1OfPasswordMatchesPwnedPasswords() {
        #expect(
            Hex.string(PasswordHasher.hash("password", kind: .sha1), kind: .sha1)
                == "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8")
    }

    @Test func sha1OfEmptyInputIsTheKnownDigest() {
        #expect(
            Hex.string(PasswordHasher.hash("", kind: .sha1), kind: .sha1) == "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709")
    }

    @Test func ntlmOfPasswordMatchesPwnedPasswords() {
        #expect(
            Hex.string(PasswordHasher.hash("password", kind: .ntlm), kind: .ntlm) == "8846F7EAEE8FB117AD06BDD830B7586C")
    }

    @Test func ntlmHashesNonASCIIAsUTF16() {
        // Reference: `iconv -t utf-16le | openssl dgst -md4` of "pässword".
        #expect(
            Hex.string(PasswordHasher.hash("pässword", kind: .ntlm), kind: .ntlm) == "F1B094F25BBDCB6FDBAA6CC8B43F0C44")
    }

    @Test func ntlmReadsInvalidUTF8AsLatin1() {
        let latin1: [UInt8] = Array("p".utf8) + [0xE4] + Array("ssword".utf8)
        let digest = latin1.withUnsafeBytes { PasswordHasher.ntlm($0) }
        #expect(Hex.string(digest, kind: .ntlm) == "F1B094F25BBDCB6FDBAA6CC8B43F0C44")
    }

    @Test func sha1HashesNonUTF8BytesAsGiven() {
        // Reference: Python's hashlib.sha1(b"\xff\xfeA").
        let digest = [UInt8]([0xFF, 0xFE, 0x41]).withUnsafeBytes { PasswordHasher.sha1($0) }
        #expect(Hex.string(digest, kind: .sha1) == "407A0A128AB25321F6A305E4FE40521C2DE96F61")
    }
}

@Suite struct HexTests {
    @Test func parsesEitherCase() {
        let upper = Hex.digest("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", kind: .sha1)
        let lower = Hex.digest("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", kind: .sha1)
        #expect(upper != nil)
        #expect(upper == lower)
        #expect(upper?.prefix == 0x5BAA6)
    }

    @Test(arguments: [
        "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FDG", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD", "",
        "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8A",
    ])
    func refusesAnythingButExactHex(_ text: String) {
        #expect(Hex.digest(text, kind: .sha1) == nil)
    }

    @Test func roundTripsNTLMDigests() {
        let text = "8846F7EAEE8FB117AD06BDD830B7586C"
        #expect(Hex.string(Hex.digest(text, kind: .ntlm)!, kind: .ntlm) == text)
    }

    @Test func bitsReadMostSignificantFirst() {
        let digest = Hex.digest("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", kind: .sha1)!
        #expect(digest.bits(at: 0, count: 20) == 0x5BAA6)
        #expect(digest.bits(at: 20, count: 12) == 0x1E4)
        #expect(digest.bits(at: 60, count: 8) == 0xF0)  // straddles the first two words
        #expect(digest.bits(at: 152, count: 8) == 0xD8)
    }
}
