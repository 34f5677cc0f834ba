package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// keyMeta is one entry of the index file.
type keyMeta struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	Created   time.Time `json:"created"`
	Activated time.Time `json:"activated,omitzero"` // zero: next key
	Retired   time.Time `json:"retired,omitzero"`   // zero: not retired
}

func (m keyMeta) state() string {
	switch {
	case !m.Retired.IsZero():
		return StateRetired
	case !m.Activated.IsZero():
		return StateSigning
	}
	return StateNext
}

func (ks *KeySet) readIndex() ([]entry, error) {
	data, err := os.ReadFile(filepath.Join(ks.dir, indexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var idx struct {
		Keys []keyMeta `json:"keys"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", indexFile, err)
	}
	var entries []entry
	states := map[string]int{}
	for _, m := range idx.Keys {
		if m.KID == "" || filepath.Base(m.KID) != m.KID || m.KID[0] == '.' {
			return nil, fmt.Errorf("%s: bad key id %q", indexFile, m.KID)
		}
		data, err := os.ReadFile(ks.keyPath(m.KID))
		if err != nil {
			return nil, err
		}
		k, err := decodeKey(data)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", m.KID, err)
		}
		if k.kid != m.KID || k.alg != m.Alg {
			return nil, fmt.Errorf("key %s: file holds %s key %s", m.KID, k.alg, k.kid)
		}
		if states[m.state()]++; m.state() != StateRetired && states[m.state()] > 1 {
			return nil, fmt.Errorf("%s: more than one %s key", indexFile, m.state())
		}
		entries = append(entries, entry{meta: m, key: k})
	}
	return entries, nil
}

func (ks *KeySet) writeIndex(entries []entry) error {
	idx := struct {
		Keys []keyMeta `json:"keys"`
	}{}
	for _, e := range entries {
		idx.Keys = append(idx.Keys, e.meta)
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(ks.dir, indexFile), append(data, '\n'), 0o600)
}
