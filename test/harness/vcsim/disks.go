// Disk files as ESXi keeps them: flat base disks, hosted sparse and streamOptimized VMDKs written by qemu-img,
// and the datastore-path ↔ local-file mapping the rest of the harness uses.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// qemu runs a qemu tool with an argument array and a timeout, returning its stderr in the error.
func qemu(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(tool, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	timer := time.AfterFunc(2*time.Minute, func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
	})
	defer timer.Stop()
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %v: %s", tool, strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

var dsPathRe = regexp.MustCompile(`^\[([^\]]+)\]\s*(.*)$`)

// datastore is one of the simulator's datastores and its local directory.
type datastore struct {
	ds  *object.Datastore
	dir string
}

// diskDatastore names the datastore a disk spec puts its files on (LocalDS_0 unless it says otherwise).
func diskDatastore(d diskSpec) string {
	if d.Datastore == "" {
		return datastoreName
	}
	return d.Datastore
}

// localPath maps "[LocalDS_0] vm/disk.vmdk" to the file under that datastore's directory.
func (b *builder) localPath(dsPath string) (string, error) {
	m := dsPathRe.FindStringSubmatch(dsPath)
	if m == nil {
		return "", fmt.Errorf("datastore path %q is not of the form [datastore] path", dsPath)
	}
	ds, ok := b.datastores[m[1]]
	if !ok {
		return "", fmt.Errorf("datastore path %q is not on %s or %s", dsPath, datastoreName, secondDatastoreName)
	}
	return filepath.Join(ds.dir, filepath.FromSlash(m[2])), nil
}

// siblingDSPath names a file in the same datastore directory as dsPath.
func siblingDSPath(dsPath, name string) string {
	i := strings.LastIndex(dsPath, "/")
	return dsPath[:i+1] + name
}

// writeSparseVMDK replaces a disk's files with one monolithicSparse or streamOptimized VMDK of the content
// padded to the capacity. The simulator attaches a disk only when a -flat file exists, so the disk is
// attached flat first and converted afterwards.
func writeSparseVMDK(dir, base, format string) error {
	flat := filepath.Join(dir, base+"-flat.vmdk")
	out := filepath.Join(dir, base+".vmdk")
	tmp := out + ".tmp"
	if _, err := qemu("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat="+format, flat, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	return os.Remove(flat)
}

// Hosted sparse ("KDMV") header fields, little-endian: descriptorOffset at byte 28, descriptorSize at 36 (sectors).
func embeddedDescriptor(f *os.File) (offset int64, size int64, err error) {
	hdr := make([]byte, 64)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return 0, 0, err
	}
	if string(hdr[:4]) != "KDMV" {
		return 0, 0, fmt.Errorf("%s is not a hosted sparse VMDK", f.Name())
	}
	return int64(binary.LittleEndian.Uint64(hdr[28:])) * 512, int64(binary.LittleEndian.Uint64(hdr[36:])) * 512, nil
}

// readDescriptor returns the text descriptor of a VMDK: the file itself, or the one embedded in a sparse file.
func readDescriptor(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := f.ReadAt(magic, 0); err != nil {
		return "", err
	}
	var buf []byte
	if string(magic) == "KDMV" {
		off, size, err := embeddedDescriptor(f)
		if err != nil {
			return "", err
		}
		buf = make([]byte, size)
		if _, err := f.ReadAt(buf, off); err != nil {
			return "", err
		}
	} else {
		if buf, err = os.ReadFile(path); err != nil {
			return "", err
		}
	}
	if i := bytes.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	return string(buf), nil
}

var cidRe = regexp.MustCompile(`(?m)^CID=([0-9a-fA-F]+)`)

// setParent rewrites a hosted sparse delta's embedded descriptor to name another parent (qemu-img rebase
// cannot change a VMDK's backing file), keeping the descriptor's reserved size.
func setParent(path, parentName, parentCID string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	off, size, err := embeddedDescriptor(f)
	if err != nil {
		return err
	}
	desc, err := readDescriptor(path)
	if err != nil {
		return err
	}
	desc = regexp.MustCompile(`(?m)^parentFileNameHint=.*$`).ReplaceAllString(desc, fmt.Sprintf("parentFileNameHint=%q", parentName))
	desc = regexp.MustCompile(`(?m)^parentCID=.*$`).ReplaceAllString(desc, "parentCID="+parentCID)
	if int64(len(desc)) > size {
		return fmt.Errorf("%s: new descriptor (%d bytes) does not fit its %d-byte area", path, len(desc), size)
	}
	buf := make([]byte, size)
	copy(buf, desc)
	_, err = f.WriteAt(buf, off)
	return err
}

func cidOf(path string) (string, error) {
	desc, err := readDescriptor(path)
	if err != nil {
		return "", err
	}
	m := cidRe.FindStringSubmatch(desc)
	if m == nil {
		// vcsim's empty placeholder disks have no descriptor at all; qemu-img's default CID stands in.
		return "fffffffe", nil
	}
	return strings.ToLower(m[1]), nil
}

// copySparse copies src to dst, seeking over all-zero 64 KiB blocks so they stay holes.
func copySparse(dst *os.File, src io.Reader) error {
	buf := make([]byte, 64<<10)
	zero := make([]byte, len(buf))
	var off int64
	for {
		n, err := io.ReadFull(src, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			if _, werr := dst.WriteAt(buf[:n], off); werr != nil {
				return werr
			}
		}
		off += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// writeRDMDescriptor turns a disk into a virtual-mode raw device mapping, as ESXi describes one.
func writeRDMDescriptor(dir, base string) error {
	flat := filepath.Join(dir, base+"-flat.vmdk")
	st, err := os.Stat(flat)
	if err != nil {
		return err
	}
	desc := fmt.Sprintf("# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"vmfsRawDeviceMap\"\n\n"+
		"# Extent description\nRW %d VMFSRDM \"%s-rdm.vmdk\"\n", st.Size()/512, base)
	if err := os.WriteFile(filepath.Join(dir, base+".vmdk"), []byte(desc), 0o644); err != nil {
		return err
	}
	return os.Rename(flat, filepath.Join(dir, base+"-rdm.vmdk"))
}

// rdmLUN is the file standing in for the LUN an RDM descriptor maps (its VMFSRDM extent).
func rdmLUN(descPath string) string {
	desc, _ := readDescriptor(descPath)
	if m := regexp.MustCompile(`(?m)^RW\s+\d+\s+VMFSRDM\s+"([^"]+)"`).FindStringSubmatch(desc); m != nil {
		return filepath.Join(filepath.Dir(descPath), m[1])
	}
	return descPath
}

// reportAsRDM gives the disk the backing ESXi reports for a virtual-mode RDM (vcsim cannot create one).
func (b *builder) reportAsRDM(ref types.ManagedObjectReference, fileName string) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	simulator.Map.WithLock(vm, func() {
		for _, d := range vm.Config.Hardware.Device {
			if disk, fb := flatBacking(d); disk != nil && fb.FileName == fileName {
				disk.Backing = &types.VirtualDiskRawDiskMappingVer1BackingInfo{
					VirtualDeviceFileBackingInfo: fb.VirtualDeviceFileBackingInfo,
					LunUuid:                      "0200000000600508b1001c2f6e3f1d1e1b1a19181716151413",
					DeviceName:                   "/vmfs/devices/disks/naa.600508b1001c2f6e3f1d1e1b1a191817",
					CompatibilityMode:            "virtualMode",
					DiskMode:                     "persistent",
				}
			}
		}
	})
}
