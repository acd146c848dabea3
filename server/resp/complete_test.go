package resp

import "testing"

func TestCompleteMultibulk(t *testing.T) {
	for in, want := range map[string]bool{
		"":                                         false,
		"*1\r\n$4\r\nPING\r\n":                     true,
		"*1\r\n$4\r\nPING\r\n*1\r\n":               true,
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r":             false,
		"*2\r\n$3\r\nGET\r\n$1\r\n":                false,
		"*2\r\n$3\r\nGET\r\n":                      false,
		"*2\r\n$3\r\nGET\r\n$":                     false,
		"*2\r\n$3\r\nGET\r\n$-1\r\n":               false,
		"*2\n$3\r\nGET\r\n$1\r\nk\r\n":             false,
		"PING\r\n":                                 false,
		"*0\r\n":                                   false,
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n": true,
		"*1\r\n$99999999999999999999999\r\n":       false,
	} {
		if got := completeMultibulk([]byte(in)); got != want {
			t.Errorf("completeMultibulk(%q) = %v, want %v", in, got, want)
		}
	}
}
