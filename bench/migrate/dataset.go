package migrate

import (
	"strconv"

	"github.com/slotdb/slotdb/internal/keyslot"
)

// hashTags returns one hash tag per slot 0..n-1, so key i can be "{tag[i%n]}:i".
func hashTags(n int) []string {
	tags := make([]string, n)
	found := 0
	for i := 0; found < n; i++ {
		t := strconv.Itoa(i)
		if s := int(keyslot.Of([]byte(t))); s < n && tags[s] == "" {
			tags[s] = t
			found++
		}
	}
	return tags
}

// datasetKey is key i of the dataset.
func datasetKey(tags []string, i int) []byte {
	return []byte("{" + tags[i%len(tags)] + "}:" + strconv.Itoa(i))
}
