package format

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// pkiAttr is one AttributeTypeAndValue with an explicit string tag, so
// tests can build subjects crypto/x509 would never produce.
type pkiAttr struct {
	oid   asn1.ObjectIdentifier
	tag   int
	value string // encoded per tag: Latin-1 bytes, UTF-16 (BMP) or UCS-4
}

var (
	pkiOIDCN     = asn1.ObjectIdentifier{2, 5, 4, 3}
	pkiOIDOU     = asn1.ObjectIdentifier{2, 5, 4, 11}
	pkiOIDO      = asn1.ObjectIdentifier{2, 5, 4, 10}
	pkiOIDC      = asn1.ObjectIdentifier{2, 5, 4, 6}
	pkiOIDL      = asn1.ObjectIdentifier{2, 5, 4, 7}
	pkiOIDSerial = asn1.ObjectIdentifier{2, 5, 4, 5}
	pkiOIDEmail  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	pkiOIDDC     = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
)

// pkiTestName encodes RDNs (each a multi-valued SET) as a DER Name. The
// SET elements stay in the given order on purpose: OpenSSL re-sorts them.
func pkiTestName(t testing.TB, rdns ...[]pkiAttr) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, rdn := range rdns {
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				for _, a := range rdn {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(a.oid)
						b.AddASN1(cbasn1.Tag(a.tag), func(b *cryptobyte.Builder) { b.AddBytes(pkiTestEncode(a)) })
					})
				}
			})
		}
	})
	raw, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func pkiTestEncode(a pkiAttr) []byte {
	switch a.tag {
	case pkiTagBMP:
		var out []byte
		for _, u := range utf16.Encode([]rune(a.value)) {
			out = binary.BigEndian.AppendUint16(out, u)
		}
		return out
	case pkiTagUniversal:
		var out []byte
		for _, r := range a.value {
			out = binary.BigEndian.AppendUint32(out, uint32(r))
		}
		return out
	case pkiTagUTF8:
		return []byte(a.value)
	}
	var out []byte // one byte per rune (Latin-1)
	for _, r := range a.value {
		out = append(out, byte(r))
	}
	return out
}

var pkiTestKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// pkiTestCert self-signs a CA certificate whose subject is raw DER.
func pkiTestCert(t testing.TB, raw []byte) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), RawSubject: raw,
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(2000000000, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &pkiTestKey().PublicKey, pkiTestKey())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// pkiOpenSSLHash asks the real openssl binary.
func pkiOpenSSLHash(t testing.TB, certPEM []byte) (string, error) {
	t.Helper()
	cmd := exec.Command("openssl", "x509", "-hash", "-noout")
	cmd.Stdin = bytes.NewReader(certPEM)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

func pkiNeedOpenSSL(t testing.TB) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
}

// pkiCheckAgainstOpenSSL compares our hash of raw with openssl's.
func pkiCheckAgainstOpenSSL(t *testing.T, raw []byte) {
	t.Helper()
	certPEM := pkiTestCert(t, raw)
	want, werr := pkiOpenSSLHash(t, certPEM)
	got, gerr := pkiSubjectHashRaw(raw)
	if werr != nil || gerr != nil {
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("subject %x: openssl err=%v, ours err=%v (ours %08x, openssl %s)", raw, werr, gerr, got, want)
		}
		return
	}
	if fmt.Sprintf("%08x", got) != want {
		t.Fatalf("subject %x: got %08x, openssl says %s", raw, got, want)
	}
}

func TestSubjectHashEdgeCasesMatchOpenSSL(t *testing.T) {
	t.Parallel()
	pkiNeedOpenSSL(t)
	cn := func(tag int, v string) pkiAttr { return pkiAttr{pkiOIDCN, tag, v} }
	tests := []struct {
		name string
		rdns [][]pkiAttr
	}{
		{"empty subject", nil},
		{"plain CN", [][]pkiAttr{{cn(pkiTagUTF8, "Registry CA")}}},
		{"odd spacing", [][]pkiAttr{{cn(pkiTagUTF8, "  Foo   Bar  ")}}},
		{"tabs and newlines", [][]pkiAttr{{cn(pkiTagUTF8, "\tFoo\t\n\v\f\rBar\r\n")}}},
		{"only spaces", [][]pkiAttr{{cn(pkiTagUTF8, "    ")}}},
		{"empty value", [][]pkiAttr{{cn(pkiTagUTF8, "")}}},
		{"mixed case", [][]pkiAttr{{cn(pkiTagPrintable, "ReGiStRy.Example.COM")}}},
		{"printable", [][]pkiAttr{{{pkiOIDC, pkiTagPrintable, "DE"}}, {cn(pkiTagPrintable, "My CA (test) +-./:=?")}}},
		{"ia5", [][]pkiAttr{{cn(pkiTagIA5, "Some@Host  NAME")}}},
		{"t61 latin1", [][]pkiAttr{{cn(pkiTagT61, "Caf\u00e9  M\u00dcNCHEN")}}},
		{"bmp", [][]pkiAttr{{cn(pkiTagBMP, " Gr\u00fc\u00dfe  \u4e16\u754c CA ")}}},
		{"bmp astral surrogates", [][]pkiAttr{{cn(pkiTagBMP, "x\U0001F600")}}},
		{"universal", [][]pkiAttr{{cn(pkiTagUniversal, "  Uni  \U0001F600 X ")}}},
		{"visible", [][]pkiAttr{{cn(pkiTagVisible, "  Visible  ONE ")}}},
		{"numeric kept as is", [][]pkiAttr{{{pkiOIDSerial, pkiTagNumeric, " 12  34 "}}}},
		{"non-ascii utf8", [][]pkiAttr{{cn(pkiTagUTF8, "  \u00c9COLE  \u0130stanbul \u00c5 ")}}},
		{"non-ascii uppercase untouched", [][]pkiAttr{{cn(pkiTagUTF8, "\u00c0\u00c1\u00c2")}}},
		{"invalid utf8", [][]pkiAttr{{cn(pkiTagUTF8, "a\xffb")}}},
		{"emailAddress", [][]pkiAttr{{{pkiOIDEmail, pkiTagIA5, "Admin@Example.COM"}}, {cn(pkiTagUTF8, "x")}}},
		{"multi-valued CN+OU", [][]pkiAttr{{cn(pkiTagUTF8, "Zed"), {pkiOIDOU, pkiTagPrintable, "Ops  Team"}}}},
		{"multi-valued reorders after canon", [][]pkiAttr{{cn(pkiTagUTF8, "B"), cn(pkiTagPrintable, "a"), cn(pkiTagUTF8, "  A")}}},
		{"multi-valued three types", [][]pkiAttr{{{pkiOIDO, pkiTagBMP, "Org"}, cn(pkiTagIA5, "cn"), {pkiOIDDC, pkiTagIA5, "COM"}}}},
		{"empty RDN set", [][]pkiAttr{{cn(pkiTagUTF8, "a")}, {}, {cn(pkiTagUTF8, "b")}}},
		{"many RDNs", [][]pkiAttr{
			{{pkiOIDDC, pkiTagIA5, "com"}}, {{pkiOIDDC, pkiTagIA5, "Example"}}, {{pkiOIDC, pkiTagPrintable, "US"}},
			{{pkiOIDL, pkiTagUTF8, "San  Francisco"}}, {{pkiOIDO, pkiTagUTF8, "Example, Inc."}},
			{{pkiOIDOU, pkiTagUTF8, "Registry"}}, {{pkiOIDOU, pkiTagUTF8, "Ops"}}, {cn(pkiTagUTF8, "Example Registry Root CA")},
			{{pkiOIDEmail, pkiTagIA5, "ca@example.com"}}}},
		{"bit string", [][]pkiAttr{{{pkiOIDCN, 3, "\x03\xab\xcf"}}}},
		{"bit string one byte", [][]pkiAttr{{{pkiOIDCN, 3, "\x00"}}}},
		{"bit string bad padding", [][]pkiAttr{{{pkiOIDCN, 3, "\x09\xab"}}}},
		{"long value", [][]pkiAttr{{cn(pkiTagUTF8, strings.Repeat("Long  Name ", 40))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pkiCheckAgainstOpenSSL(t, pkiTestName(t, tt.rdns...))
		})
	}
}

// TestSubjectHashRandomMatchesOpenSSL checks 160 seeded random subjects.
func TestSubjectHashRandomMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	pkiNeedOpenSSL(t)
	r := mrand.New(mrand.NewPCG(3, 2026))
	oids := []asn1.ObjectIdentifier{pkiOIDCN, pkiOIDOU, pkiOIDO, pkiOIDC, pkiOIDL, pkiOIDEmail, pkiOIDDC}
	tags := []int{pkiTagUTF8, pkiTagPrintable, pkiTagIA5, pkiTagT61, pkiTagBMP, pkiTagUniversal, pkiTagVisible}
	printable := "ABCxyz019 '()+,-./:=?"
	ascii := printable + "\t\n@_!ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	wide := []rune(ascii + "\u00e9\u00c9\u00df\u00ff\u4e16\u0130\U0001F600")
	latin1 := []rune(ascii + "\u00e9\u00c9\u00df\u00ff\u00a0")
	randStr := func(alphabet []rune) string {
		n := r.IntN(14)
		var sb strings.Builder
		for range n {
			sb.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		return sb.String()
	}
	for i := range 160 {
		var rdns [][]pkiAttr
		for range r.IntN(6) {
			var rdn []pkiAttr
			for range 1 + r.IntN(3) {
				tag := tags[r.IntN(len(tags))]
				var v string
				switch tag {
				case pkiTagPrintable:
					v = randStr([]rune(printable))
				case pkiTagIA5, pkiTagVisible:
					v = randStr([]rune(ascii))
				case pkiTagT61:
					v = randStr(latin1)
				default:
					v = randStr(wide)
				}
				rdn = append(rdn, pkiAttr{oids[r.IntN(len(oids))], tag, v})
			}
			rdns = append(rdns, rdn)
		}
		raw := pkiTestName(t, rdns...)
		t.Run(fmt.Sprintf("subject%03d", i), func(t *testing.T) {
			t.Parallel()
			pkiCheckAgainstOpenSSL(t, raw)
		})
	}
}

// FuzzSubjectCanonical feeds arbitrary subjects to the canonicaliser; it
// must never panic and, when it succeeds, must be idempotent on its own
// output wrapped back into a Name.
func FuzzSubjectCanonical(f *testing.F) {
	f.Add(pkiTestName(f, []pkiAttr{{pkiOIDCN, pkiTagUTF8, "  Foo   Bar "}}))
	f.Add(pkiTestName(f, []pkiAttr{{pkiOIDCN, pkiTagBMP, "x"}, {pkiOIDOU, pkiTagT61, "Y"}}, nil))
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x03, 0x31, 0x01, 0x30})
	f.Fuzz(func(t *testing.T, raw []byte) {
		canon, err := pkiCanonicalName(raw)
		if err != nil {
			return
		}
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(canon) })
		again, err := pkiCanonicalName(b.BytesOrPanic())
		if err != nil || !bytes.Equal(again, canon) {
			t.Fatalf("canonical form is not stable: %x -> %x (%v)", canon, again, err)
		}
	})
}

// TestSubjectHashValueTypesMatchOpenSSL sweeps every universal tag as a CN
// value: where OpenSSL refuses the certificate we must fail too.
func TestSubjectHashValueTypesMatchOpenSSL(t *testing.T) {
	t.Parallel()
	pkiNeedOpenSSL(t)
	for tag := 1; tag <= 30; tag++ {
		content := []byte("  Ab  ")
		switch tag {
		case 1:
			content = []byte{0xff}
		case 5:
			content = nil
		case 6:
			content = []byte{0x2a, 0x03}
		case 16, 17: // constructed forms below
			continue
		}
		for _, cons := range []bool{false, true} {
			var b cryptobyte.Builder
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(pkiOIDCN)
						if cons {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1(cbasn1.Tag(tag), func(b *cryptobyte.Builder) { b.AddBytes(content) })
							})
						} else {
							b.AddASN1(cbasn1.Tag(tag), func(b *cryptobyte.Builder) { b.AddBytes(content) })
						}
					})
				})
			})
			t.Run(fmt.Sprintf("tag%d-in-seq-%v", tag, cons), func(t *testing.T) {
				t.Parallel()
				pkiCheckAgainstOpenSSL(t, b.BytesOrPanic())
			})
		}
	}
}
