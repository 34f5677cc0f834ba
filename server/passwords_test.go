package server

import (
	"strings"
	"testing"
)

func TestPasswordHashes(t *testing.T) {
	t.Parallel()
	for _, algo := range []string{HashBcrypt, HashArgon2id} {
		t.Run(algo, func(t *testing.T) {
			t.Parallel()
			h, err := HashPassword("correct horse battery", algo)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(h, "correct horse") {
				t.Fatal("hash contains the password")
			}
			for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
				got, err := VerifyPassword(h, pw)
				if err != nil || got != want {
					t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, got, err, want)
				}
			}
		})
	}
	if _, err := HashPassword("x", "md5"); err == nil {
		t.Error("unknown algorithm accepted")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=18$m=8,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=8,t=1,p=1$!!$AAAA"} {
		if ok, err := VerifyPassword(bad, "x"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestRobotSecrets(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s, h, err := NewRobotSecret()
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 43 || strings.ContainsAny(s, "+/=") || seen[s] {
			t.Fatalf("secret %q: want 43 unique shell-safe characters", s)
		}
		seen[s] = true
		if !robotSecretMatches(h, s) || robotSecretMatches(h, s+"x") || robotSecretMatches(nil, s) {
			t.Fatal("secret comparison wrong")
		}
	}
}
