// Package vals stands in for github.com/helmfile/vals in the tests' helmfile. The real package
// resolves `ref+<backend>://` secret references and links the SDKs of every backend it supports
// (AWS, GCP, Azure, Vault, 1Password, ...) unconditionally: 84 MB of the 147 MB of Go source a
// cold helmfile build compiles. kbp's releases use no secret references, so this build keeps
// helmfile's API and refuses a reference by name instead of resolving it.
package vals

import (
	"fmt"
	"io"
	"regexp"
)

// vals v0.46.1's expansion.DefaultRefRegexp: what the real package would try to resolve.
var ref = regexp.MustCompile(`((secret)?ref)\+([^\+:]*:\/\/[^\+\n ]+[^\+\n ",])\+?`)

// Options mirrors the fields helmfile v1.8.0 sets; none changes what this stand-in does.
type Options struct {
	LogOutput             io.Writer
	AWSLogLevel           string
	CacheSize             int
	ExcludeSecret         bool
	FailOnMissingKeyInMap bool
}

// Evaluator is what helmfile's state and template code call.
type Evaluator interface {
	Eval(map[string]interface{}) (map[string]interface{}, error)
}

// Runtime evaluates values that hold no secret reference, and refuses those that do.
type Runtime struct {
	Options Options
}

// New returns a Runtime.
func New(opts Options) (*Runtime, error) {
	return &Runtime{Options: opts}, nil
}

// Eval returns the values as given; a string holding a reference is an error naming its key.
func (r *Runtime) Eval(values map[string]interface{}) (map[string]interface{}, error) {
	if err := refuse("", values); err != nil {
		return nil, err
	}
	return values, nil
}

func refuse(path string, v interface{}) error {
	switch v := v.(type) {
	case string:
		if ref.MatchString(v) {
			return fmt.Errorf("%s: secret references (vals) are not built into this helmfile (testenv/helmfile/vals)", path)
		}
	case map[string]interface{}:
		for k, e := range v {
			if err := refuse(join(path, k), e); err != nil {
				return err
			}
		}
	case map[interface{}]interface{}:
		for k, e := range v {
			if err := refuse(join(path, fmt.Sprint(k)), e); err != nil {
				return err
			}
		}
	case []interface{}:
		for i, e := range v {
			if err := refuse(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
