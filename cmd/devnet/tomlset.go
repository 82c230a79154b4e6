package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// tomlSetting sets one key of a TOML file written by CometBFT or the Cosmos SDK:
// file is config, app or client (config/<file>.toml), key is dotted ("rpc.laddr";
// the part before the last dot is the [section], none for a top-level key) and value
// is the TOML literal written after "key = " (quote strings with tomlString).
type tomlSetting struct {
	file, key, value string
}

// tomlString is s as a TOML basic string.
func tomlString(s string) string { return fmt.Sprintf("%q", s) }

var (
	tomlSection = regexp.MustCompile(`^\s*\[([^\[\]]+)\]\s*(#.*)?$`)
	tomlKey     = regexp.MustCompile(`^(\s*)([A-Za-z0-9_-]+)\s*=`)
)

// setTOML rewrites the lines of the given keys in home/config/<file>.toml, keeping
// every comment and other line as it is (as `farold config set` does, without one
// process start per key). Every key must already be in its file.
func setTOML(home string, settings []tomlSetting) error {
	byFile := map[string][]tomlSetting{}
	var files []string
	for _, s := range settings {
		if _, ok := byFile[s.file]; !ok {
			files = append(files, s.file)
		}
		byFile[s.file] = append(byFile[s.file], s)
	}
	for _, file := range files {
		path := fmt.Sprintf("%s/config/%s.toml", home, file)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out, err := setTOMLLines(string(b), byFile[file])
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// setTOMLLines applies settings to the TOML text doc.
func setTOMLLines(doc string, settings []tomlSetting) (string, error) {
	keys := make([][2]string, len(settings)) // (section, key) of each setting
	want := map[[2]string]string{}
	for i, st := range settings {
		section, key := "", st.key
		if j := strings.LastIndex(st.key, "."); j >= 0 {
			section, key = st.key[:j], st.key[j+1:]
		}
		keys[i] = [2]string{section, key}
		want[keys[i]] = st.value
	}
	lines := strings.Split(doc, "\n")
	section := ""
	done := map[[2]string]bool{}
	for i, line := range lines {
		if m := tomlSection.FindStringSubmatch(line); m != nil {
			section = strings.TrimSpace(m[1])
			continue
		}
		m := tomlKey.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		k := [2]string{section, m[2]}
		if v, ok := want[k]; ok && !done[k] {
			lines[i] = m[1] + m[2] + " = " + v
			done[k] = true
		}
	}
	for _, k := range keys { // in the caller's order, for a stable error
		if !done[k] {
			return "", fmt.Errorf("no key %q in section [%s]", k[1], k[0])
		}
	}
	return strings.Join(lines, "\n"), nil
}
