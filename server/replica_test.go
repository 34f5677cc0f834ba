package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/token"
)

// Two replicas share one database. A robot regenerated or disabled through
// replica A is refused by replica B at its next generation check, although
// B had the robot in its (long-lived) cache.
func TestReplicasDropStaleCaches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	issuer, err := token.NewIssuer(token.IssuerOptions{Issuer: e2eIssuer, Keys: e.keys})
	if err != nil {
		t.Fatal(err)
	}
	b, err := server.New(server.Config{Issuer: e2eIssuer, Service: e.Host, PermissionCacheTTL: time.Hour, GenerationCheck: time.Nanosecond}, e.db, issuer)
	if err != nil {
		t.Fatal(err)
	}
	replicaB := httptest.NewServer(b.Handler())
	t.Cleanup(replicaB.Close)
	status := func(user, pass string) int {
		q := url.Values{"service": {e.Host}, "scope": {"repository:team/app:pull"}}
		req, _ := http.NewRequest(http.MethodGet, replicaB.URL+"/token?"+q.Encode(), nil)
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	old := e.createRobot("team+replica", "", perm{Pattern: "team/**", Role: model.Read})
	if got := status("team+replica", old); got != http.StatusOK {
		t.Fatalf("replica B refuses a fresh robot: %d", got)
	}
	fresh := e.regenerate("team+replica") // through replica A
	if got := status("team+replica", old); got != http.StatusUnauthorized {
		t.Fatalf("replica B still accepts the old secret after a regenerate on A: %d", got)
	}
	if got := status("team+replica", fresh); got != http.StatusOK {
		t.Fatalf("replica B refuses the new secret: %d", got)
	}
	e.admin(http.MethodPatch, "/api/v1/robots/team+replica", map[string]any{"disabled": true}, http.StatusOK)
	if got := status("team+replica", fresh); got != http.StatusUnauthorized {
		t.Fatalf("replica B accepts a robot disabled on A: %d", got)
	}
}
