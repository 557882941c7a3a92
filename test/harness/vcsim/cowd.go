// vmfsSparse ("COWD") deltas, the snapshot format of ESXi on VMFS5: a text descriptor (createType
// "vmfsSparse", parentFileNameHint) plus a "-delta.vmdk" extent whose 2048-byte header is followed by a grain
// directory of grain-table sectors; each grain table maps 4096 grains (1 sector each, as ESXi writes them)
// to their sector in the file, 0 meaning "read the parent". QEMU reads this format but cannot write it, so
// the harness writes guest data and consolidates such deltas itself.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

const (
	cowdHeaderBytes = 2048
	cowdGTEntries   = 4096
	cowdGTSectors   = cowdGTEntries * 4 / 512
	sector          = 512
)

type cowdHeader struct {
	numSectors, grainSize, gdOffset, numGDEntries, freeSector uint32
}

// createCOWD writes a vmfsSparse delta: descriptor <name>.vmdk and extent <name>-delta.vmdk over parentName.
func createCOWD(dir, name, parentName, parentCID string, sectors int64) error {
	stem := strings.TrimSuffix(name, ".vmdk")
	extent := stem + "-delta.vmdk"
	numGD := uint32((sectors + cowdGTEntries - 1) / cowdGTEntries)
	gdSectors := (numGD*4 + sector - 1) / sector
	hdr := make([]byte, cowdHeaderBytes+int(gdSectors)*sector)
	copy(hdr, "COWD")
	le := binary.LittleEndian
	le.PutUint32(hdr[4:], 1) // version
	le.PutUint32(hdr[8:], 3) // flags
	le.PutUint32(hdr[12:], uint32(sectors))
	le.PutUint32(hdr[16:], 1) // grainSize, sectors
	le.PutUint32(hdr[20:], cowdHeaderBytes/sector)
	le.PutUint32(hdr[24:], numGD)
	le.PutUint32(hdr[28:], cowdHeaderBytes/sector+gdSectors)
	copy(hdr[32:32+1024], parentName)
	if err := os.WriteFile(filepath.Join(dir, extent), hdr, 0o644); err != nil {
		return err
	}
	cid := make([]byte, 4)
	_, _ = rand.Read(cid)
	desc := fmt.Sprintf("# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=%s\nparentCID=%s\nisNativeSnapshot=\"no\"\n"+
		"createType=\"vmfsSparse\"\nparentFileNameHint=%q\n# Extent description\nRW %d VMFSSPARSE %q\n\n"+
		"# The Disk Data Base\n#DDB\n\nddb.longContentID = \"%s\"\n", hex.EncodeToString(cid), parentCID, parentName, sectors, extent, hex.EncodeToString(cid))
	return os.WriteFile(filepath.Join(dir, name), []byte(desc), 0o644)
}

var vmfsSparseExtentRe = regexp.MustCompile(`(?m)^RW\s+\d+\s+VMFSSPARSE\s+"([^"]+)"`)

// cowdExtent returns the COWD extent file of a vmfsSparse descriptor, or "" for any other layer.
func cowdExtent(descPath string) string {
	desc, err := readDescriptor(descPath)
	if err != nil {
		return ""
	}
	m := vmfsSparseExtentRe.FindStringSubmatch(desc)
	if m == nil {
		return ""
	}
	return filepath.Join(filepath.Dir(descPath), m[1])
}

func readCOWDHeader(f *os.File) (cowdHeader, error) {
	buf := make([]byte, 32)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return cowdHeader{}, err
	}
	if string(buf[:4]) != "COWD" {
		return cowdHeader{}, fmt.Errorf("%s is not a COWD extent", f.Name())
	}
	le := binary.LittleEndian
	return cowdHeader{le.Uint32(buf[12:]), le.Uint32(buf[16:]), le.Uint32(buf[20:]), le.Uint32(buf[24:]), le.Uint32(buf[28:])}, nil
}

func readU32(f *os.File, off int64) (uint32, error) {
	b := make([]byte, 4)
	_, err := f.ReadAt(b, off)
	return binary.LittleEndian.Uint32(b), err
}

func writeU32(f *os.File, off int64, v uint32) error {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, v)
	_, err := f.WriteAt(b, off)
	return err
}

// cowdWrite writes whole sectors at a sector-aligned guest offset, allocating grain tables and grains.
func cowdWrite(extentPath string, offset int64, data []byte) error {
	if offset%sector != 0 || len(data)%sector != 0 {
		return fmt.Errorf("a vmfsSparse delta is written in whole 512-byte sectors: offset %d and length %d must be multiples of 512", offset, len(data))
	}
	f, err := os.OpenFile(extentPath, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	h, err := readCOWDHeader(f)
	if err != nil {
		return err
	}
	if h.grainSize != 1 {
		return fmt.Errorf("%s: grain size %d sectors; the harness writes 1-sector grains only", extentPath, h.grainSize)
	}
	for i := 0; i < len(data); i += sector {
		s := uint32(offset/sector) + uint32(i/sector)
		if s >= h.numSectors {
			return fmt.Errorf("write past the end of %s (%d sectors)", extentPath, h.numSectors)
		}
		gdEntry := int64(h.gdOffset)*sector + int64(s/cowdGTEntries)*4
		gt, err := readU32(f, gdEntry)
		if err != nil {
			return err
		}
		if gt == 0 {
			gt = h.freeSector
			h.freeSector += cowdGTSectors
			if _, err := f.WriteAt(make([]byte, cowdGTSectors*sector), int64(gt)*sector); err != nil {
				return err
			}
			if err := writeU32(f, gdEntry, gt); err != nil {
				return err
			}
		}
		gtEntry := int64(gt)*sector + int64(s%cowdGTEntries)*4
		grain, err := readU32(f, gtEntry)
		if err != nil {
			return err
		}
		if grain == 0 {
			grain = h.freeSector
			h.freeSector++
			if err := writeU32(f, gtEntry, grain); err != nil {
				return err
			}
		}
		if _, err := f.WriteAt(data[i:i+sector], int64(grain)*sector); err != nil {
			return err
		}
	}
	return writeU32(f, 28, h.freeSector)
}

// cowdRun is a run of consecutive guest sectors the delta holds.
type cowdRun struct {
	offset int64
	data   []byte
}

// cowdAllocated reads every sector the delta holds, as runs of consecutive guest sectors.
func cowdAllocated(extentPath string) ([]cowdRun, error) {
	f, err := os.Open(extentPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := readCOWDHeader(f)
	if err != nil {
		return nil, err
	}
	var runs []cowdRun
	buf := make([]byte, sector)
	for gi := uint32(0); gi < h.numGDEntries; gi++ {
		gt, err := readU32(f, int64(h.gdOffset)*sector+int64(gi)*4)
		if err != nil || gt == 0 {
			continue
		}
		for ti := uint32(0); ti < cowdGTEntries; ti++ {
			grain, err := readU32(f, int64(gt)*sector+int64(ti)*4)
			if err != nil {
				return nil, err
			}
			if grain == 0 {
				continue
			}
			if _, err := f.ReadAt(buf, int64(grain)*sector); err != nil {
				return nil, err
			}
			off := int64(gi*cowdGTEntries+ti) * sector
			if n := len(runs); n > 0 && runs[n-1].offset+int64(len(runs[n-1].data)) == off {
				runs[n-1].data = append(runs[n-1].data, buf...)
			} else {
				runs = append(runs, cowdRun{offset: off, data: append([]byte(nil), buf...)})
			}
		}
	}
	return runs, nil
}

// writeLayer writes bytes into one layer (its top): COWD by the harness's writer, anything else by qemu-io.
func writeLayer(descPath string, offset int64, data []byte, tmpDir string) error {
	if extent := cowdExtent(descPath); extent != "" {
		return cowdWrite(extent, offset, data)
	}
	tmp, err := os.CreateTemp(tmpDir, "layer-write-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	_ = tmp.Close()
	_, err = qemu("qemu-io", "-f", "vmdk", "-c", fmt.Sprintf("write -q -s %s %d %d", tmp.Name(), offset, len(data)), descPath)
	return err
}

// setDescriptorParent points a vmfsSparse delta's text descriptor (and its COWD header) at another parent.
func setDescriptorParent(descPath, parentName, parentCID string) error {
	desc, err := readDescriptor(descPath)
	if err != nil {
		return err
	}
	desc = regexp.MustCompile(`(?m)^parentFileNameHint=.*$`).ReplaceAllString(desc, fmt.Sprintf("parentFileNameHint=%q", parentName))
	desc = regexp.MustCompile(`(?m)^parentCID=.*$`).ReplaceAllString(desc, "parentCID="+parentCID)
	if err := os.WriteFile(descPath, []byte(desc), 0o644); err != nil {
		return err
	}
	f, err := os.OpenFile(cowdExtent(descPath), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	name := make([]byte, 1024)
	copy(name, parentName)
	_, err = f.WriteAt(name, 32)
	return err
}
