package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"testing"

	distoken "github.com/distribution/distribution/v3/registry/auth/token"
	"github.com/go-jose/go-jose/v4"
)

// leadingZeroD is a P-256 private scalar whose public x coordinate starts
// with a zero byte (x = 00b23343...).
const leadingZeroD = "e4663960b6880e3b0476938feba45a8e842d3151949668a912489e7f87687cbd"

func leadingZeroKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	d, err := hex.DecodeString(leadingZeroD)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rfc7638Key is the RSA key of RFC 7638 section 3.1.
func rfc7638Key(t testing.TB) *rsa.PublicKey {
	t.Helper()
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if err != nil {
		t.Fatal(err)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
}

func TestThumbprint(t *testing.T) {
	t.Parallel()
	lz := leadingZeroKey(t)
	if pt, _ := lz.PublicKey.Bytes(); pt[1] != 0 {
		t.Fatalf("test key's x does not start with a zero byte: %x", pt[:4])
	}
	tests := []struct {
		name string
		key  crypto.PublicKey
		want string // empty: compare with go-jose, which pads correctly
	}{
		{name: "rfc 7638 section 3.1 rsa", key: rfc7638Key(t), want: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
		{name: "ec with leading zero in x", key: &lz.PublicKey},
		{name: "generated ec", key: mustGenerate(t, ES256).Public()},
		{name: "ed25519", key: mustGenerate(t, EdDSA).Public()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Thumbprint(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				raw, err := (&jose.JSONWebKey{Key: tt.key}).Thumbprint(crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				want = base64.RawURLEncoding.EncodeToString(raw)
			}
			if got != want {
				t.Errorf("Thumbprint = %q, want %q", got, want)
			}
		})
	}
}

// TestThumbprintDistributionPadding pins down why generateKey redraws EC
// keys with a leading zero coordinate: distribution v3.1.2 derives a
// different (unpadded) thumbprint for them from the rootcertbundle.
func TestThumbprintDistributionPadding(t *testing.T) {
	t.Parallel()
	lz := leadingZeroKey(t)
	ours, err := Thumbprint(&lz.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if theirs := distoken.GetJWKThumbprint(&lz.PublicKey); theirs == ours {
		t.Errorf("distribution now pads EC coordinates (%q): the redraw in generateKey can go", theirs)
	}
	for range 50 {
		k := mustGenerate(t, ES256)
		ours, _ := Thumbprint(k.Public())
		if theirs := distoken.GetJWKThumbprint(k.Public()); theirs != ours {
			t.Fatalf("generated key: distribution thumbprint %q, ours %q", theirs, ours)
		}
	}
}

func TestThumbprintUnsupported(t *testing.T) {
	t.Parallel()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]crypto.PublicKey{"p-384": &p384.PublicKey, "string": "nope"} {
		if _, err := Thumbprint(k); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func mustGenerate(t testing.TB, alg string) crypto.Signer {
	t.Helper()
	k, err := generateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
