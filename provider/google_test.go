package provider

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A local token_uri speaking Google's OAuth2 JWT-bearer protocol: it
// verifies the assertion's RS256 signature with the key's public half.
func TestMintGoogle(t *testing.T) {
	t.Parallel()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			http.Error(w, "bad grant", http.StatusBadRequest)
			return
		}
		parts := strings.Split(r.Form.Get("assertion"), ".")
		if len(parts) != 3 {
			http.Error(w, "bad assertion", http.StatusBadRequest)
			return
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			http.Error(w, "signature does not verify", http.StatusUnauthorized)
			return
		}
		claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c struct{ Iss, Scope string }
		_ = json.Unmarshal(claims, &c)
		if c.Iss != "puller@proj.iam.gserviceaccount.com" || c.Scope != GoogleScope {
			http.Error(w, "wrong claims", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "ya29.minted-Pl4nted", "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(srv.Close)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	key, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "proj", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "puller@proj.iam.gserviceaccount.com", "client_id": "1", "token_uri": srv.URL,
	})
	for name, k := range map[string][]byte{"json": key, "base64": []byte(base64.StdEncoding.EncodeToString(key))} {
		tok, err := MintGoogle(context.Background(), k, srv.Client())
		if err != nil {
			t.Fatalf("%s key: %v", name, err)
		}
		if tok.Username != GoogleUsername || tok.Password != "ya29.minted-Pl4nted" || time.Until(tok.Expires) < 50*time.Minute {
			t.Fatalf("%s key: got %q, expires %v", name, tok.Username, tok.Expires)
		}
	}
	if _, err := MintGoogle(context.Background(), []byte(`{"type":"service_account"}`), nil); err == nil {
		t.Fatal("a key without private_key was accepted")
	}
}
