package main

import "testing"

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"http://127.0.0.1:5001/token", "http://127.0.0.1:5001/token"},
		{"http://127.0.0.1:5001", "http://127.0.0.1:5001/token"},
		{"http://127.0.0.1:5001/auth/token", "http://127.0.0.1:5001/auth/token"},
		{"http://localhost:5001/token", ""},
		{"http://10.0.0.1:5001/token", ""},
		{"https://127.0.0.1:5001/token", ""},
		{"http://127.0.0.1/token", ""},
		{"http://u:p@127.0.0.1:5001/token", ""},
		{"http://127.0.0.1:5001/token?service=x", ""},
	} {
		got, err := checkTarget(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("checkTarget(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestFlagBounds(t *testing.T) {
	for _, args := range [][]string{
		{"-duration", "11m"}, {"-duration", "0"}, {"-n", "10000001"}, {"-c", "0"},
		{"-kind", "admin"}, {"-seed"}, {"-target", "http://example.com:80/token"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}
