// Package server is regauth's registry token server: the distribution token
// protocol (and its OAuth2 variant) in front of a real registry, with users,
// Quay-style robot accounts, repository permissions, an admin API and an
// audit trail.
package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Password hashing. bcrypt (cost 10) is the default because every tool
// understands it; argon2id is available for deployments that want memory
// hardness. Both verify in constant time.
const (
	HashBcrypt   = "bcrypt"
	HashArgon2id = "argon2id"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC-style hash of password.
func HashPassword(password, algo string) (string, error) {
	switch algo {
	case "", HashBcrypt:
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
		if err != nil {
			return "", fmt.Errorf("hash password: %w", err)
		}
		return string(h), nil
	case HashArgon2id:
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return "", fmt.Errorf("hash password: %w", err)
		}
		key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
		b64 := base64.RawStdEncoding
		return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
	}
	return "", fmt.Errorf("hash password: unknown algorithm %q (use bcrypt or argon2id)", algo)
}

// errBadHash is returned for a stored hash regauth cannot read; callers
// treat it as a failed login and log it (without the hash).
var errBadHash = errors.New("unreadable password hash")

// VerifyPassword reports whether password matches hash.
func VerifyPassword(hash, password string) (bool, error) {
	switch {
	case strings.HasPrefix(hash, "$2"):
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	case strings.HasPrefix(hash, "$argon2id$"):
		var v, m, t, p int
		parts := strings.Split(hash, "$")
		if len(parts) != 6 {
			return false, errBadHash
		}
		if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
			return false, errBadHash
		}
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m <= 0 || t <= 0 || p <= 0 || p > 255 {
			return false, errBadHash
		}
		b64 := base64.RawStdEncoding
		salt, err1 := b64.DecodeString(parts[4])
		want, err2 := b64.DecodeString(parts[5])
		if err1 != nil || err2 != nil || len(want) == 0 {
			return false, errBadHash
		}
		got := argon2.IDKey([]byte(password), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	}
	return false, errBadHash
}

// dummyHash is compared against when an account does not exist, so that
// "no such user" and "wrong password" take the same time.
var dummyHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte("regauth-dummy-password"), bcrypt.DefaultCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

// Robot secrets: 256 random bits, base64url (43 shell-safe characters).
// They are stored as SHA-256: with that entropy a slow KDF adds nothing but
// latency to every token request.
const robotSecretBytes = 32

// NewRobotSecret returns a fresh secret and the hash to store.
func NewRobotSecret() (secret string, hash []byte, err error) {
	b := make([]byte, robotSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("generate robot secret: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, HashRobotSecret(secret), nil
}

// HashRobotSecret is the stored form of a robot secret.
func HashRobotSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// robotSecretMatches compares in constant time.
func robotSecretMatches(stored []byte, presented string) bool {
	h := HashRobotSecret(presented)
	return len(stored) == len(h) && subtle.ConstantTimeCompare(stored, h) == 1
}
