package hosts

import (
	"fmt"
	"strconv"
	"strings"
)

// parseINI reads Ansible's INI inventory: host lines with key=value
// variables (before any section they are "ungrouped"), [group],
// [group:vars] and [group:children] sections, # and ; comments.
func parseINI(file string, data []byte) (*raw, error) {
	r := newRaw(file)
	section, kind := "ungrouped", "hosts"
	var errs []string
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if t[0] == '[' {
			if !strings.HasSuffix(t, "]") {
				errs = append(errs, fmt.Sprintf("%s:%d: unterminated section header %q", file, n, t))
				continue
			}
			section, kind = t[1:len(t)-1], "hosts"
			if name, suffix, ok := strings.Cut(section, ":"); ok {
				section, kind = name, suffix
			}
			if kind != "hosts" && kind != "vars" && kind != "children" {
				errs = append(errs, fmt.Sprintf("%s:%d: unknown section kind %q (want [group], [group:vars] or [group:children])", file, n, kind))
				kind = "skip"
				continue
			}
			if !ValidName(section) {
				errs = append(errs, fmt.Sprintf("%s:%d: bad group name %q", file, n, section))
				kind = "skip"
				continue
			}
			r.group(section, n)
			continue
		}
		toks, err := splitINI(t)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", file, n, err))
			continue
		}
		switch kind {
		case "skip":
		case "children":
			if len(toks) != 1 || !ValidName(toks[0]) {
				errs = append(errs, fmt.Sprintf("%s:%d: [%s:children] wants one group name a line, got %q", file, n, section, t))
				continue
			}
			g := r.group(section, n)
			g.children = append(g.children, childRef{toks[0], n})
		case "vars":
			k, v, ok := strings.Cut(t, "=")
			if !ok || strings.TrimSpace(k) == "" {
				errs = append(errs, fmt.Sprintf("%s:%d: [%s:vars] wants key=value, got %q", file, n, section, t))
				continue
			}
			g := r.group(section, n)
			g.vars = append(g.vars, rawVar{strings.TrimSpace(k), unquote(strings.TrimSpace(v)), n})
		default:
			names, err := expandHost(toks[0])
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s:%d: %v", file, n, err))
				continue
			}
			var vars []rawVar
			for _, kv := range toks[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					errs = append(errs, fmt.Sprintf("%s:%d: host %s: want key=value, got %q", file, n, toks[0], kv))
					continue
				}
				vars = append(vars, rawVar{k, v, n})
			}
			for _, h := range names {
				r.addHost(section, h, n, vars)
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return r, nil
}

// splitINI splits a host line into words; quotes group words and are
// removed, an unquoted # starts a comment.
func splitINI(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			return finish(out, &cur, inWord), nil
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	return finish(out, &cur, inWord), nil
}

func finish(out []string, cur *strings.Builder, inWord bool) []string {
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// expandHost expands Ansible host ranges: "web[01:03]" → web01 web02
// web03, "db-[a:c]" → db-a db-b db-c, "[1:9:2]" with a stride.
func expandHost(pattern string) ([]string, error) {
	open := strings.IndexByte(pattern, '[')
	if open < 0 {
		if !ValidName(pattern) {
			return nil, fmt.Errorf("bad host name %q", pattern)
		}
		return []string{pattern}, nil
	}
	end := strings.IndexByte(pattern[open:], ']')
	if end < 0 {
		return nil, fmt.Errorf("host %q: unterminated range", pattern)
	}
	end += open
	parts := strings.Split(pattern[open+1:end], ":")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("host %q: range wants [start:end] or [start:end:stride]", pattern)
	}
	stride := 1
	if len(parts) == 3 {
		s, err := strconv.Atoi(parts[2])
		if err != nil || s < 1 {
			return nil, fmt.Errorf("host %q: bad stride %q", pattern, parts[2])
		}
		stride = s
	}
	var items []string
	lo, errLo := strconv.Atoi(parts[0])
	hi, errHi := strconv.Atoi(parts[1])
	switch {
	case errLo == nil && errHi == nil:
		if hi < lo || hi-lo > 100000 {
			return nil, fmt.Errorf("host %q: bad range %s:%s", pattern, parts[0], parts[1])
		}
		width := 0
		if len(parts[0]) > 1 && parts[0][0] == '0' {
			width = len(parts[0])
		}
		for i := lo; i <= hi; i += stride {
			items = append(items, fmt.Sprintf("%0*d", width, i))
		}
	case len(parts[0]) == 1 && len(parts[1]) == 1 && parts[0] <= parts[1]:
		for c := parts[0][0]; c <= parts[1][0]; c += byte(stride) {
			items = append(items, string(c))
			if int(c)+stride > 255 {
				break
			}
		}
	default:
		return nil, fmt.Errorf("host %q: bad range %s:%s", pattern, parts[0], parts[1])
	}
	var out []string
	for _, it := range items {
		rest, err := expandHost(pattern[:open] + it + pattern[end+1:])
		if err != nil {
			return nil, err
		}
		out = append(out, rest...)
	}
	return out, nil
}
