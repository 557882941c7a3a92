// Snapshots as ESXi takes them: CreateSnapshot_Task switches every disk of the VM to a new delta file whose
// parent is the disk's previous file (the snapshot keeps naming the frozen file), and RemoveSnapshot_Task
// consolidates the delta the snapshot's removal makes redundant into its parent. vcsim 0.24 only records
// snapshots; the harness does the disk work around its SOAP methods.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

var deltaSuffix = regexp.MustCompile(`-\d{6}$`)

// nextDeltaName is the first free "<disk>-00000N.vmdk" next to the base disk, as ESXi names deltas.
func nextDeltaName(parentLocal string) string {
	stem := deltaSuffix.ReplaceAllString(strings.TrimSuffix(filepath.Base(parentLocal), ".vmdk"), "")
	for n := 1; ; n++ {
		name := fmt.Sprintf("%s-%06d.vmdk", stem, n)
		if _, err := os.Stat(filepath.Join(filepath.Dir(parentLocal), name)); os.IsNotExist(err) {
			return name
		}
	}
}

func flatBacking(d types.BaseVirtualDevice) (*types.VirtualDisk, *types.VirtualDiskFlatVer2BackingInfo) {
	disk, ok := d.(*types.VirtualDisk)
	if !ok {
		return nil, nil
	}
	b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if !ok {
		return nil, nil
	}
	return disk, b
}

// switchToDeltas gives every disk of the VM a delta (vmfsSparse or hosted sparse) on top of its current file. New device
// objects replace the old ones: the snapshot's config shares the old ones and must keep naming the frozen files.
func (b *builder) switchToDeltas(vm *simulator.VirtualMachine) error {
	var err error
	simulator.Map.WithLock(vm, func() {
		devices := vm.Config.Hardware.Device
		next := make([]types.BaseVirtualDevice, len(devices))
		copy(next, devices)
		for i, d := range devices {
			disk, cur := flatBacking(d)
			if disk == nil {
				continue
			}
			parentLocal, e := b.localPath(cur.FileName)
			if e != nil {
				err = e
				return
			}
			name := nextDeltaName(parentLocal)
			if e := b.createDelta(vm.Name, parentLocal, name, disk.CapacityInKB*2); e != nil {
				err = e
				return
			}
			nb := *cur
			nb.FileName = siblingDSPath(cur.FileName, name)
			nb.Parent = cur
			nb.DeltaDiskFormat = "redoLogFormat"
			nb.ContentId = ""
			nd := *disk
			nd.Backing = &nb
			next[i] = &nd
		}
		vm.Config.Hardware.Device = next
	})
	return err
}

func (b *builder) createDelta(vmName, parentLocal, name string, sectors int64) error {
	dir := filepath.Dir(parentLocal)
	if b.deltaFormats[vmName] == "monolithicSparse" {
		_, err := qemu("qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicSparse",
			"-b", filepath.Base(parentLocal), "-F", "vmdk", filepath.Join(dir, name))
		return err
	}
	cid, err := cidOf(parentLocal)
	if err != nil {
		return err
	}
	return createCOWD(dir, name, filepath.Base(parentLocal), cid, sectors)
}

// chainOf lists a backing and its parents, top first.
func chainOf(top *types.VirtualDiskFlatVer2BackingInfo) []*types.VirtualDiskFlatVer2BackingInfo {
	var out []*types.VirtualDiskFlatVer2BackingInfo
	for b := top; b != nil; b = b.Parent {
		out = append(out, b)
	}
	return out
}

// relink copies the layers (top first) into a fresh chain of backings; the base loses its delta format.
func relink(layers []*types.VirtualDiskFlatVer2BackingInfo) *types.VirtualDiskFlatVer2BackingInfo {
	var parent *types.VirtualDiskFlatVer2BackingInfo
	for i := len(layers) - 1; i >= 0; i-- {
		c := *layers[i]
		c.Parent = parent
		if parent == nil {
			c.DeltaDiskFormat = ""
		}
		parent = &c
	}
	return parent
}

// snapshotsOf lists the VM's snapshot objects (the whole tree).
func snapshotsOf(vm *simulator.VirtualMachine) []*simulator.VirtualMachineSnapshot {
	var out []*simulator.VirtualMachineSnapshot
	var walk func(trees []types.VirtualMachineSnapshotTree)
	walk = func(trees []types.VirtualMachineSnapshotTree) {
		for _, t := range trees {
			if s, ok := simulator.Map.Get(t.Snapshot).(*simulator.VirtualMachineSnapshot); ok {
				out = append(out, s)
			}
			walk(t.ChildSnapshotList)
		}
	}
	if vm.Snapshot != nil {
		walk(vm.Snapshot.RootSnapshotList)
	}
	return out
}

// consolidate merges, for each disk, the delta taken on top of the snapshot's frozen file into that file:
// the VM's guest-visible state is unchanged and the chain is one file shorter. Snapshots that named the
// merged delta as their frozen file now name its parent, which holds the same bytes.
// With removeChildren the child snapshots' own deltas are not merged (vcsim drops those snapshots; the
// VM's bytes stay right, its chain stays longer than ESXi would leave it).
func (b *builder) consolidate(snap *simulator.VirtualMachineSnapshot) error {
	vm, ok := simulator.Map.Get(snap.Vm).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("snapshot %s: VM %s not found", snap.Self.Value, snap.Vm.Value)
	}
	frozen := map[int32]string{}
	for _, d := range snap.Config.Hardware.Device {
		if disk, fb := flatBacking(d); disk != nil {
			frozen[disk.Key] = fb.FileName
		}
	}
	var err error
	simulator.Map.WithLock(vm, func() {
		devices := vm.Config.Hardware.Device
		next := make([]types.BaseVirtualDevice, len(devices))
		copy(next, devices)
		for i, d := range devices {
			disk, cur := flatBacking(d)
			if disk == nil || frozen[disk.Key] == "" {
				continue
			}
			chain := chainOf(cur)
			idx := -1
			for j, l := range chain {
				if l.Parent != nil && l.Parent.FileName == frozen[disk.Key] {
					idx = j
				}
			}
			if idx < 0 {
				continue
			}
			merged := chain[idx]
			if err = b.commitLayer(chain, idx); err != nil {
				return
			}
			layers := append(append([]*types.VirtualDiskFlatVer2BackingInfo{}, chain[:idx]...), chain[idx+1:]...)
			nd := *disk
			nd.Backing = relink(layers)
			next[i] = &nd
			b.renameFrozen(vm, disk.Key, merged.FileName, chainOf(nd.Backing.(*types.VirtualDiskFlatVer2BackingInfo))[idx:])
		}
		vm.Config.Hardware.Device = next
	})
	return err
}

// commitLayer writes chain[idx] into its parent, points its child (if any) at that parent and removes it.
func (b *builder) commitLayer(chain []*types.VirtualDiskFlatVer2BackingInfo, idx int) error {
	local, err := b.localPath(chain[idx].FileName)
	if err != nil {
		return err
	}
	parentLocal, err := b.localPath(chain[idx].Parent.FileName)
	if err != nil {
		return err
	}
	extent := cowdExtent(local)
	if extent != "" {
		// QEMU cannot commit out of (or write into) vmfsSparse: copy the delta's sectors into the parent.
		runs, err := cowdAllocated(extent)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if err := writeLayer(parentLocal, r.offset, r.data, b.nfc.tmpDir); err != nil {
				return err
			}
		}
	} else if cowdExtent(parentLocal) != "" {
		return fmt.Errorf("cannot commit %s into the vmfsSparse delta %s", local, parentLocal)
	} else if _, err := qemu("qemu-img", "commit", "-q", "-d", "-f", "vmdk", local); err != nil {
		return err
	}
	if idx > 0 {
		childLocal, err := b.localPath(chain[idx-1].FileName)
		if err != nil {
			return err
		}
		cid, err := cidOf(parentLocal)
		if err != nil {
			return err
		}
		if cowdExtent(childLocal) != "" {
			err = setDescriptorParent(childLocal, filepath.Base(parentLocal), cid)
		} else {
			err = setParent(childLocal, filepath.Base(parentLocal), cid)
		}
		if err != nil {
			return err
		}
	}
	if extent != "" {
		if err := os.Remove(extent); err != nil {
			return err
		}
	}
	return os.Remove(local)
}

// renameFrozen makes snapshots that froze the merged file name its parent (the new chain from that layer down).
func (b *builder) renameFrozen(vm *simulator.VirtualMachine, key int32, merged string, from []*types.VirtualDiskFlatVer2BackingInfo) {
	if len(from) == 0 {
		return
	}
	for _, s := range snapshotsOf(vm) {
		devices := s.Config.Hardware.Device
		next := make([]types.BaseVirtualDevice, len(devices))
		copy(next, devices)
		for i, d := range devices {
			disk, fb := flatBacking(d)
			if disk == nil || disk.Key != key || fb.FileName != merged {
				continue
			}
			nd := *disk
			nd.Backing = relink(from)
			next[i] = &nd
		}
		s.Config.Hardware.Device = next
	}
}

// refreshDiskLayout reports layoutEx.disk as ESXi does: per disk its chain, base first, each unit listing
// the descriptor and its extent files.
func (b *builder) refreshDiskLayout(vm *simulator.VirtualMachine) {
	simulator.Map.WithLock(vm, func() {
		if vm.LayoutEx == nil {
			return
		}
		var files []types.VirtualMachineFileLayoutExFileInfo
		var nextKey int32
		for _, f := range vm.LayoutEx.File {
			if f.Type == string(types.VirtualMachineFileLayoutExFileTypeDiskDescriptor) || f.Type == string(types.VirtualMachineFileLayoutExFileTypeDiskExtent) {
				continue
			}
			files = append(files, f)
			if f.Key >= nextKey {
				nextKey = f.Key + 1
			}
		}
		add := func(name, kind string) int32 {
			var size int64
			if local, err := b.localPath(name); err == nil {
				if st, err := os.Stat(local); err == nil {
					size = st.Size()
				}
			}
			files = append(files, types.VirtualMachineFileLayoutExFileInfo{Key: nextKey, Name: name, Type: kind, Size: size, Accessible: types.NewBool(true)})
			nextKey++
			return nextKey - 1
		}
		var disks []types.VirtualMachineFileLayoutExDiskLayout
		for _, d := range vm.Config.Hardware.Device {
			disk, top := flatBacking(d)
			if disk == nil {
				continue
			}
			chain := chainOf(top)
			layout := types.VirtualMachineFileLayoutExDiskLayout{Key: disk.Key}
			for j := len(chain) - 1; j >= 0; j-- {
				unit := types.VirtualMachineFileLayoutExDiskUnit{
					FileKey: []int32{add(chain[j].FileName, string(types.VirtualMachineFileLayoutExFileTypeDiskDescriptor))},
				}
				for _, suffix := range []string{"-flat.vmdk", "-delta.vmdk"} {
					extent := strings.TrimSuffix(chain[j].FileName, ".vmdk") + suffix
					if local, err := b.localPath(extent); err == nil {
						if _, err := os.Stat(local); err == nil {
							unit.FileKey = append(unit.FileKey, add(extent, string(types.VirtualMachineFileLayoutExFileTypeDiskExtent)))
						}
					}
				}
				layout.Chain = append(layout.Chain, unit)
			}
			disks = append(disks, layout)
		}
		vm.LayoutEx.File = files
		vm.LayoutEx.Disk = disks
	})
}
