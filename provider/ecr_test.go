package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// fakeECR speaks ECR's real wire protocol (AWS JSON 1.1) so the real SDK
// path runs: it checks the SigV4 signature header and the operation.
func fakeECR(t *testing.T, target, token string, expires time.Time, public bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if got := r.Header.Get("X-Amz-Target"); got != target {
			t.Errorf("X-Amz-Target = %q, want %q", got, target)
		}
		if a := r.Header.Get("Authorization"); !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(a, "Signature=") {
			t.Errorf("request not SigV4-signed: %q", a)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		data := map[string]any{"authorizationToken": token, "expiresAt": float64(expires.Unix())}
		body := map[string]any{"authorizationData": []any{data}}
		if public {
			body = map[string]any{"authorizationData": data}
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func awsConfig() aws.Config {
	return aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-test-key", Source: "test"}, nil
		}),
	}
}

func TestMintECR(t *testing.T) {
	t.Parallel()
	expires := time.Now().Add(12 * time.Hour).Truncate(time.Second)
	tok := base64.StdEncoding.EncodeToString([]byte("AWS:minted-Pl4nted"))
	srv, calls := fakeECR(t, "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", tok, expires, false)
	info, _ := Recognize("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
	got, err := MintECR(context.Background(), awsConfig(), info, ECROptions{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got.Username != "AWS" || got.Password != "minted-Pl4nted" || !got.Expires.Equal(expires) || calls.Load() != 1 {
		t.Fatalf("got %q/%q expires %v (calls %d)", got.Username, "<redacted>", got.Expires, calls.Load())
	}

	pub, _ := fakeECR(t, "SpencerFrontendService.GetAuthorizationToken", tok, expires, true)
	info, _ = Recognize("public.ecr.aws")
	got, err = MintECR(context.Background(), awsConfig(), info, ECROptions{Endpoint: pub.URL})
	if err != nil || got.Password != "minted-Pl4nted" {
		t.Fatalf("ecr public: %v", err)
	}

	bad, _ := fakeECR(t, "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", "not base64 Pl4nted!", expires, false)
	info, _ = Recognize("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
	if _, err := MintECR(context.Background(), awsConfig(), info, ECROptions{Endpoint: bad.URL}); err == nil || strings.Contains(err.Error(), "Pl4nted") {
		t.Fatalf("bad token: %v", err)
	}
}
