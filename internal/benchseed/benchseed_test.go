package benchseed

import (
	"testing"

	"github.com/regauth/regauth/server/policy"
)

func TestRobotRulesSumExactly(t *testing.T) {
	for _, tc := range []struct {
		name          string
		robots, total int
	}{
		{"default", 10_000, 99_000},
		{"even", 10, 100},
		{"odd robots", 7, 70},
		{"uneven", 3, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, lo, hi := 0, tc.total, 0
			for i := range tc.robots {
				k := robotRules(i, tc.robots, tc.total)
				sum += k
				lo, hi = min(lo, k), max(hi, k)
			}
			if sum != tc.total || lo < 1 {
				t.Errorf("sum %d (want %d), min %d, max %d", sum, tc.total, lo, hi)
			}
		})
	}
}

func TestRulesAreValidAndDistinct(t *testing.T) {
	for _, a := range []Account{Robot(42, 100), User(7, 100)} {
		seen := map[string]bool{}
		ps := rules(a, 15)
		if ps[0].Pattern != a.NS+"/"+a.Short+"/*" {
			t.Errorf("%s: first rule %q does not cover the default scope", a.Name, ps[0].Pattern)
		}
		for _, p := range ps {
			if err := policy.ValidatePattern(p.Pattern); err != nil || !p.Role.Valid() {
				t.Errorf("%s: %q %q: %v", a.Name, p.Pattern, p.Role, err)
			}
			if seen[p.Pattern] {
				t.Errorf("%s: duplicate pattern %q", a.Name, p.Pattern)
			}
			seen[p.Pattern] = true
		}
	}
}

func TestSecretsAreStable(t *testing.T) {
	a, b := Robot(1, 100), Robot(1, 100)
	if a != b || len(a.Secret) != 43 || a.Name != "team001+robot00001" {
		t.Errorf("Robot(1) = %+v, then %+v", a, b)
	}
	if Robot(2, 100).Secret == a.Secret {
		t.Error("two robots share a secret")
	}
}
