package format

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SubjectHash is OpenSSL's subject name hash (X509_NAME_hash_ex), the
// value `openssl x509 -hash -noout` prints and OpenSSL's hash-directory
// lookup (CApath, as the DC/OS agent uses) expects as the file name
// `<hash>.N`. It is the first four bytes, little-endian, of the SHA-1 of
// the subject's canonical encoding (see pkiCanonicalName).
func SubjectHash(cert *x509.Certificate) (uint32, error) {
	if cert == nil {
		return 0, errors.New("subject hash: no certificate")
	}
	return pkiSubjectHashRaw(cert.RawSubject)
}

func pkiSubjectHashRaw(rawSubject []byte) (uint32, error) {
	canon, err := pkiCanonicalName(rawSubject)
	if err != nil {
		return 0, err
	}
	sum := sha1.Sum(canon)
	return binary.LittleEndian.Uint32(sum[:4]), nil
}

// pkiCanonicalName mirrors OpenSSL's x509_name_canon: every RDN becomes a
// SET of AttributeTypeAndValue whose string values are re-encoded as
// UTF8String, trimmed, whitespace-collapsed and ASCII-lower-cased; the SETs
// are re-sorted in DER order after that, empty RDNs vanish, and the outer
// SEQUENCE header is left out (so an empty subject hashes the empty string).
func pkiCanonicalName(raw []byte) ([]byte, error) {
	in := cryptobyte.String(raw)
	var rdns cryptobyte.String
	if !in.ReadASN1(&rdns, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("subject hash: subject is not a DER SEQUENCE")
	}
	var out []byte
	for n := 0; !rdns.Empty(); n++ {
		var set cryptobyte.String
		if !rdns.ReadASN1(&set, cbasn1.SET) {
			return nil, fmt.Errorf("subject hash: RDN %d is not a SET", n)
		}
		var entries [][]byte
		for !set.Empty() {
			var atv, oid, val cryptobyte.String
			var tag cbasn1.Tag
			if !set.ReadASN1(&atv, cbasn1.SEQUENCE) ||
				!atv.ReadASN1Element(&oid, cbasn1.OBJECT_IDENTIFIER) ||
				!atv.ReadAnyASN1Element(&val, &tag) || !atv.Empty() {
				return nil, fmt.Errorf("subject hash: RDN %d: malformed attribute", n)
			}
			cv, err := pkiCanonicalValue(tag, val)
			if err != nil {
				return nil, fmt.Errorf("subject hash: RDN %d: %w", n, err)
			}
			var b cryptobyte.Builder
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddBytes(oid)
				b.AddBytes(cv)
			})
			e, err := b.Bytes()
			if err != nil {
				return nil, fmt.Errorf("subject hash: RDN %d: %w", n, err)
			}
			entries = append(entries, e)
		}
		if len(entries) == 0 {
			continue
		}
		// DER SET OF order; OpenSSL's der_cmp is memcmp then shorter first,
		// which is exactly bytes.Compare.
		slices.SortFunc(entries, bytes.Compare)
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			for _, e := range entries {
				b.AddBytes(e)
			}
		})
		s, err := b.Bytes()
		if err != nil {
			return nil, fmt.Errorf("subject hash: RDN %d: %w", n, err)
		}
		out = append(out, s...)
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// ASN.1 universal string tags OpenSSL knows (x509 name values).
const (
	pkiTagUTF8      = 12
	pkiTagNumeric   = 18
	pkiTagPrintable = 19
	pkiTagT61       = 20
	pkiTagIA5       = 22
	pkiTagVisible   = 26
	pkiTagUniversal = 28
	pkiTagBMP       = 30
)

// pkiOtherValueOK lists the value types outside the canon mask that
// OpenSSL's DirectoryString decoder (ASN1_PRINTABLE: B_ASN1_PRINTABLE,
// unknown types included) still accepts; those are hashed unchanged.
// VisibleString is canonicalised by asn1_string_canon but never gets there:
// the decoder already rejects it.
var pkiOtherValueOK = map[cbasn1.Tag]bool{
	3: true, 7: true, 8: true, 9: true, 11: true, 13: true, 14: true, 15: true,
	pkiTagNumeric: true, 29: true, cbasn1.SEQUENCE: true,
}

// pkiCanonicalValue returns the canonical TLV of one attribute value
// (asn1_string_canon). Types outside OpenSSL's canon mask (NumericString,
// BIT STRING, SEQUENCE, ...) are copied unchanged; the others are decoded
// to code points with the type's width, which fails exactly where
// ASN1_STRING_to_UTF8 fails (invalid UTF-8, odd BMP length, surrogates).
func pkiCanonicalValue(tag cbasn1.Tag, tlv cryptobyte.String) ([]byte, error) {
	var content cryptobyte.String
	elem := tlv
	if !elem.ReadASN1(&content, tag) {
		return nil, errors.New("malformed value")
	}
	var text []byte
	switch tag {
	case pkiTagUTF8:
		if !utf8.Valid(content) {
			return nil, errors.New("UTF8String value is not valid UTF-8")
		}
		text = content
	case pkiTagPrintable, pkiTagT61, pkiTagIA5:
		// One byte per character, read as Latin-1 like MBSTRING_ASC.
		for _, c := range content {
			text = utf8.AppendRune(text, rune(c))
		}
	case pkiTagBMP, pkiTagUniversal:
		width := 2
		if tag == pkiTagUniversal {
			width = 4
		}
		if len(content)%width != 0 {
			return nil, fmt.Errorf("string of tag %d has a length that is not a multiple of %d", tag, width)
		}
		for i := 0; i < len(content); i += width {
			var r uint32
			for _, c := range content[i : i+width] {
				r = r<<8 | uint32(c)
			}
			if r > utf8.MaxRune || (r >= 0xd800 && r <= 0xdfff) {
				return nil, fmt.Errorf("string of tag %d holds an invalid code point", tag)
			}
			text = utf8.AppendRune(text, rune(r))
		}
	default:
		if !pkiOtherValueOK[tag] {
			return nil, fmt.Errorf("value of ASN.1 tag %#x is not allowed in a name (OpenSSL refuses the certificate)", uint8(tag))
		}
		if tag == cbasn1.BIT_STRING {
			return pkiBitString(content)
		}
		return []byte(tlv), nil
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.Tag(pkiTagUTF8), func(b *cryptobyte.Builder) {
		b.AddBytes(pkiCanonicalText(text))
	})
	return b.Bytes()
}

// pkiBitString re-encodes a BIT STRING as OpenSSL's c2i/i2c pair does:
// more than 7 unused bits is an error, the unused bits are zeroed.
func pkiBitString(content []byte) ([]byte, error) {
	if len(content) < 1 || content[0] > 7 {
		return nil, errors.New("invalid BIT STRING value")
	}
	c := slices.Clone(content)
	if len(c) > 1 {
		c[len(c)-1] &= 0xff << c[0]
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes(c) })
	return b.Bytes()
}

// pkiSpace is OpenSSL's ossl_isspace: ASCII space and \t \n \v \f \r only.
func pkiSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// pkiCanonicalText trims leading and trailing whitespace, collapses inner
// runs into one space and lower-cases ASCII letters; bytes with the high
// bit set (non-ASCII UTF-8) pass through untouched, as in OpenSSL.
func pkiCanonicalText(s []byte) []byte {
	for len(s) > 0 && pkiSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && pkiSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x80:
			out = append(out, c)
			i++
		case pkiSpace(c):
			out = append(out, ' ')
			for i < len(s) && pkiSpace(s[i]) {
				i++
			}
		default:
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, c)
			i++
		}
	}
	return out
}
