package wire

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Tracker operations.
const (
	OpRegister   = "register"
	OpHeartbeat  = "heartbeat"
	OpUpdate     = "update"
	OpUnregister = "unregister"
	OpList       = "list"
	OpSearch     = "search"
)

// FileEntry is one file a peer announces to the tracker.
type FileEntry struct {
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	ID       string `json:"id"`
	Complete bool   `json:"complete"`
}

// Request is a validated tracker request. Only the fields of its Op are set.
type Request struct {
	Op    string
	Port  int
	Files []FileEntry
	Token string
	Q     string
	// CanHost is the optional "can_host" field of register (an extension:
	// the peer may take over hosting the network's tracker if it leaves;
	// see docs/DISCOVERY.md). Absent means false; present, it must be a bool.
	CanHost bool
	// Name is the optional "name" of register (version 2): the device's
	// name for people ("" when absent). Present, it must pass
	// ValidateDeviceName.
	Name string
	// Offset is the optional "offset" of search (an extension): skip that
	// many matches, to read an answer that was truncated page by page.
	// Absent means 0; present, an integer 0-MaxSearchOffset.
	Offset int
}

// MaxSearchOffset bounds a search's offset.
const MaxSearchOffset = 1_000_000

// MaxTokenBytes bounds a token a client may send.
const MaxTokenBytes = 256

// ParseRequest decodes and validates one tracker request line (without its
// terminator). Every error is an *Error with the code to answer.
func ParseRequest(line []byte) (Request, error) {
	var req Request
	if len(line) > MaxTrackerLineBytes {
		return req, Errorf(CodeTooLarge, "request line over %d bytes", MaxTrackerLineBytes)
	}
	if !utf8.Valid(line) {
		return req, Errorf(CodeBadRequest, "request is not valid UTF-8")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil || fields == nil {
		return req, Errorf(CodeBadRequest, "request is not a JSON object")
	}
	if err := field(fields, "op", &req.Op); err != nil {
		return req, err
	}
	switch req.Op {
	case OpRegister:
		if err := field(fields, "port", &req.Port); err != nil {
			return req, err
		}
		if req.Port < 1 || req.Port > 65535 {
			return req, Errorf(CodeBadRequest, "port %d is not in 1-65535", req.Port)
		}
		if raw, ok := fields["can_host"]; ok && json.Unmarshal(raw, &req.CanHost) != nil {
			return req, Errorf(CodeBadRequest, "field %q has the wrong type or value", "can_host")
		}
		if _, ok := fields["name"]; ok {
			if err := field(fields, "name", &req.Name); err != nil {
				return req, err
			}
			if err := ValidateDeviceName(req.Name); err != nil {
				return req, err
			}
		}
		files, err := parseFiles(fields)
		req.Files = files
		return req, err
	case OpUpdate:
		if err := tokenField(fields, &req.Token); err != nil {
			return req, err
		}
		files, err := parseFiles(fields)
		req.Files = files
		return req, err
	case OpHeartbeat, OpUnregister:
		return req, tokenField(fields, &req.Token)
	case OpList:
		return req, nil
	case OpSearch:
		if err := field(fields, "q", &req.Q); err != nil {
			return req, err
		}
		if _, ok := fields["offset"]; ok {
			if err := field(fields, "offset", &req.Offset); err != nil {
				return req, err
			}
			if req.Offset < 0 || req.Offset > MaxSearchOffset {
				return req, Errorf(CodeBadRequest, "offset %d is not in 0-%d", req.Offset, MaxSearchOffset)
			}
		}
		return req, nil
	default:
		return req, Errorf(CodeUnknownOp, "unknown op %q", trimForMsg(req.Op))
	}
}

// field decodes a required field with its exact JSON type: a missing field,
// a null or a value of another type is bad_request.
func field[T any](fields map[string]json.RawMessage, name string, dst *T) error {
	raw, ok := fields[name]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return Errorf(CodeBadRequest, "missing field %q", name)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return Errorf(CodeBadRequest, "field %q has the wrong type or value", name)
	}
	return nil
}

func tokenField(fields map[string]json.RawMessage, dst *string) error {
	if err := field(fields, "token", dst); err != nil {
		return err
	}
	if *dst == "" || len(*dst) > MaxTokenBytes {
		return Errorf(CodeBadRequest, "token must be 1-%d bytes", MaxTokenBytes)
	}
	return nil
}

type rawFileEntry struct {
	Name     json.RawMessage `json:"name"`
	Size     json.RawMessage `json:"size"`
	ID       json.RawMessage `json:"id"`
	Complete json.RawMessage `json:"complete"`
}

func parseFiles(fields map[string]json.RawMessage) ([]FileEntry, error) {
	var raws []map[string]json.RawMessage
	if err := field(fields, "files", &raws); err != nil {
		return nil, err
	}
	if len(raws) > MaxFilesPerPeer {
		return nil, Errorf(CodeTooLarge, "%d files is over the limit of %d per peer", len(raws), MaxFilesPerPeer)
	}
	files := make([]FileEntry, len(raws))
	for i, raw := range raws {
		if raw == nil {
			return nil, Errorf(CodeBadRequest, "files[%d] is not an object", i)
		}
		f := &files[i]
		if err := field(raw, "name", &f.Name); err != nil {
			return nil, Errorf(CodeBadRequest, "files[%d]: %s", i, err.(*Error).Msg)
		}
		if err := field(raw, "size", &f.Size); err != nil {
			return nil, Errorf(CodeBadRequest, "files[%d]: %s", i, err.(*Error).Msg)
		}
		if err := field(raw, "id", &f.ID); err != nil {
			return nil, Errorf(CodeBadRequest, "files[%d]: %s", i, err.(*Error).Msg)
		}
		f.Complete = true
		if c, ok := raw["complete"]; ok && !bytes.Equal(c, []byte("null")) {
			if err := json.Unmarshal(c, &f.Complete); err != nil {
				return nil, Errorf(CodeBadRequest, "files[%d]: field \"complete\" is not a boolean", i)
			}
		}
		if err := f.Validate(); err != nil {
			return nil, Errorf(CodeBadRequest, "files[%d]: %s", i, err.(*Error).Msg)
		}
	}
	return files, nil
}

// Validate checks a file entry against the contract.
func (f *FileEntry) Validate() error {
	if f.Size < 0 {
		return Errorf(CodeBadRequest, "size %d is negative", f.Size)
	}
	if !ValidID(f.ID) {
		return Errorf(CodeBadRequest, "id is not 64 lower-case hex characters")
	}
	return ValidateName(f.Name)
}

// ValidateName checks a shared file name: non-empty valid UTF-8 of at most
// MaxNameBytes bytes with no control characters.
func ValidateName(name string) error {
	if name == "" {
		return Errorf(CodeBadRequest, "name is empty")
	}
	if len(name) > MaxNameBytes {
		return Errorf(CodeBadRequest, "name is over %d bytes", MaxNameBytes)
	}
	if !utf8.ValidString(name) {
		return Errorf(CodeBadRequest, "name is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return Errorf(CodeBadRequest, "name contains a control character")
		}
	}
	return nil
}

func trimForMsg(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return oneLine(s)
}

// Responses. Every response carries "ok"; failures carry "code" and "error".

// ErrorResponse is the failure answer.
type ErrorResponse struct {
	OK    bool   `json:"ok"`
	Code  Code   `json:"code"`
	Error string `json:"error"`
}

// OKResponse is the answer to heartbeat, update and unregister.
type OKResponse struct {
	OK bool `json:"ok"`
}

// RegisterResponse answers register.
type RegisterResponse struct {
	OK         bool    `json:"ok"`
	Token      string  `json:"token"`
	Addr       string  `json:"addr"`
	HeartbeatS float64 `json:"heartbeat_s"`
	TimeoutS   float64 `json:"timeout_s"`
	// Secret (version 2, private networks only) is the network secret in
	// standard base64: with the network key it makes the key that
	// authenticates the network's beacons (docs/SECURITY.md). It is sent
	// only to a member, after the membership proof.
	Secret string `json:"secret,omitempty"`
}

// PeerInfo is one entry of a list answer.
type PeerInfo struct {
	Addr      string `json:"addr"`
	Files     int    `json:"files"`
	LastSeenS int64  `json:"last_seen_s"`
	// CanHost is an extension: the peer registered with "can_host": true.
	CanHost bool `json:"can_host,omitempty"`
	// Name and Device (version 2) are the name the peer registered with
	// and the device id of the certificate that registered it.
	Name   string `json:"name,omitempty"`
	Device string `json:"device,omitempty"`
}

// ListResponse answers list. Truncated is an extension: set when more peers
// exist than the answer holds.
type ListResponse struct {
	OK        bool       `json:"ok"`
	Peers     []PeerInfo `json:"peers"`
	Truncated bool       `json:"truncated,omitempty"`
}

// ResultPeer is one holder of a search result.
type ResultPeer struct {
	Addr     string `json:"addr"`
	Complete bool   `json:"complete"`
	// Name and Device (version 2): as in PeerInfo.
	Name   string `json:"name,omitempty"`
	Device string `json:"device,omitempty"`
}

// SearchResult is one (id, name) pair and its holders.
type SearchResult struct {
	ID    string       `json:"id"`
	Name  string       `json:"name"`
	Size  int64        `json:"size"`
	Peers []ResultPeer `json:"peers"`
	// PeersTruncated is an extension: more holders exist than listed.
	PeersTruncated bool `json:"peers_truncated,omitempty"`
	// Hosts is an extension: how many distinct IP addresses hold this
	// (id, name) among all its holders, listed or not. Versions are
	// compared by hosts, never by registrations (PROTOCOL §4): one host
	// registering many ports counts once. 0 when the tracker does not say.
	Hosts int `json:"hosts,omitempty"`
}

// SearchResponse answers search. Truncated is an extension: more results
// matched than the answer holds.
type SearchResponse struct {
	OK        bool           `json:"ok"`
	Results   []SearchResult `json:"results"`
	Truncated bool           `json:"truncated,omitempty"`
}

// Envelope is what a client first decodes a response into.
type Envelope struct {
	OK    bool   `json:"ok"`
	Code  Code   `json:"code"`
	Error string `json:"error"`
}
