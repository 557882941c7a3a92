// vcsim harness: the govmomi vCenter simulator with authentication enforced and VMs whose disks hold real
// bytes, so landfall's vSphere source provider is tested against real SOAP and the real datastore file API.
//
// Usage: vcsim [SPEC.json]   (no argument or "-": the spec is read from stdin)
// Prints one JSON line when ready, then serves until SIGTERM/SIGINT, removing its datastore directory on exit.
// The datastore directory is created under $TMPDIR, so the caller chooses where it lives.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type diskSpec struct {
	ContentPath   string `json:"contentPath"`
	CapacityBytes int64  `json:"capacityBytes"`
	// flat (default): descriptor + -flat extent; monolithicSparse or streamOptimized: one binary VMDK;
	// rdm: a raw device mapping descriptor (its bytes are on a LUN no datastore API serves).
	Format string `json:"format"`
	// Thin: the flat extent is a sparse file and the backing says thinProvisioned.
	Thin bool `json:"thin"`
	// Datastore: LocalDS_0 (default) or LocalDS_1, the simulator's two datastores.
	Datastore string `json:"datastore"`
}

type nicSpec struct {
	Network string `json:"network"`
	MAC     string `json:"mac"`
	Model   string `json:"model"`
}

type vmSpec struct {
	Name      string     `json:"name"`
	CPUs      int32      `json:"cpus"`
	MemoryMiB int64      `json:"memoryMiB"`
	Firmware  string     `json:"firmware"`
	PowerOn   *bool      `json:"powerOn"`
	GuestID   string     `json:"guestId"`
	UUID      string     `json:"uuid"`
	Disks     []diskSpec `json:"disks"`
	NICs      []nicSpec  `json:"nics"`
	// DeltaFormat: the format of the deltas snapshots create — vmfsSparse (default, ESXi on VMFS5) or
	// monolithicSparse (hosted sparse, as VMware's desktop products write).
	DeltaFormat string `json:"deltaFormat"`
}

type spec struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	VMs      []vmSpec `json:"vms"`
	// Seconds an NFC export lease lives without HttpNfcLeaseProgress (default 300, as ESXi).
	NFCLeaseTimeoutSeconds int32 `json:"nfcLeaseTimeoutSeconds"`
	// Stock VMs the model creates on the standalone host and in the cluster each (default 2: DC0_H0_VM0,
	// DC0_H0_VM1, DC0_C0_RP0_VM0, DC0_C0_RP0_VM1); a fleet-size inventory for benches.
	StockVMs int `json:"stockVMs"`
}

type ready struct {
	URL            string `json:"url"`
	Username       string `json:"username"`
	Password       string `json:"password"`
	Thumbprint     string `json:"thumbprint"`
	CertificatePEM string `json:"certificatePem"`
	DatastoreDir   string `json:"datastoreDir"`
	Datacenter     string `json:"datacenter"`
	Datastore      string `json:"datastore"`
}

const (
	datacenterName = "DC0"
	datastoreName  = "LocalDS_0"
	// secondDatastoreName: where disks with datastore "LocalDS_1" live.
	secondDatastoreName = "LocalDS_1"
	hostPath            = "DC0_H0"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "vcsim: %v\n", err)
		os.Exit(1)
	}
}

func readSpec() (*spec, error) {
	var in io.Reader = os.Stdin
	if len(os.Args) > 1 && os.Args[1] != "-" {
		f, err := os.Open(os.Args[1])
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	s := &spec{}
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil && err != io.EOF {
		return nil, fmt.Errorf("spec: %v", err)
	}
	if s.Username == "" {
		s.Username = "user"
	}
	if s.Password == "" {
		s.Password = "pass"
	}
	return s, nil
}

func run() error {
	sp, err := readSpec()
	if err != nil {
		return err
	}
	ctx := context.Background()

	model := simulator.VPX()
	// Two datastores (LocalDS_0, LocalDS_1), each its own directory: a VM's disks can sit on both.
	model.Datastore = 2
	if sp.StockVMs > 0 {
		model.Machine = sp.StockVMs
	}
	if err := model.Create(); err != nil {
		return err
	}
	defer model.Remove()
	cert, err := selfSignedCertificate()
	if err != nil {
		return err
	}
	// Go's built-in test certificate has a 1024-bit key, which OpenSSL (Node) refuses even as a trusted CA.
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	// Without Listen.User the simulator accepts any credentials (FACTS.md).
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(sp.Username, sp.Password)}
	server := model.Service.NewServer()
	defer server.Close()
	// The harness answers some requests itself (snapshot disks, ExportVm, test controls); see control.go.
	b := &builder{ctx: ctx, nfc: newNFC(os.TempDir(), sp.NFCLeaseTimeoutSeconds), serverURL: server.URL, deltaFormats: map[string]string{}, cbt: newCBT(), served: newServed()}
	server.Config.Handler = b.handler(server.Config.Handler)

	client, err := govmomi.NewClient(ctx, server.URL, true)
	if err != nil {
		return fmt.Errorf("login to own simulator: %v", err)
	}
	finder := find.NewFinder(client.Client, true)
	dc, err := finder.Datacenter(ctx, datacenterName)
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc)
	b.client, b.finder, b.dc = client, finder, dc
	b.datastores = map[string]datastore{}
	for _, name := range []string{datastoreName, secondDatastoreName} {
		ds, err := finder.Datastore(ctx, name)
		if err != nil {
			return err
		}
		var dsMo mo.Datastore
		if err := property.DefaultCollector(client.Client).RetrieveOne(ctx, ds.Reference(), []string{"info"}, &dsMo); err != nil {
			return err
		}
		b.datastores[name] = datastore{ds: ds, dir: dsMo.Info.GetDatastoreInfo().Url}
	}
	dsDir := b.datastores[datastoreName].dir
	for _, v := range sp.VMs {
		if err := b.ensureVM(v); err != nil {
			return fmt.Errorf("vm %q: %v", v.Name, err)
		}
	}
	_ = client.Logout(ctx)

	sum := sha256.Sum256(server.Certificate().Raw)
	hexParts := make([]string, len(sum))
	for i, c := range sum {
		hexParts[i] = fmt.Sprintf("%02X", c)
	}
	u := *server.URL
	u.User = nil
	line, _ := json.Marshal(ready{
		URL:            u.String(),
		Username:       sp.Username,
		Password:       sp.Password,
		Thumbprint:     strings.Join(hexParts, ":"),
		CertificatePEM: pemCert(server.Certificate().Raw),
		DatastoreDir:   dsDir,
		Datacenter:     datacenterName,
		Datastore:      datastoreName,
	})
	fmt.Println(string(line))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	return nil
}

type builder struct {
	ctx    context.Context
	client *govmomi.Client
	finder *find.Finder
	dc     *object.Datacenter
	// datastores: by name, each with its local directory.
	datastores map[string]datastore
	// nfc holds the export leases; serverURL (with credentials) lets test controls call the SOAP API.
	nfc       *nfcService
	serverURL *url.URL
	// deltaFormats: VM name → format of the deltas its snapshots create (vmfsSparse when unset).
	deltaFormats map[string]string
	// cbt: changed-block tracking of the VMs that have it enabled (cbt.go).
	cbt *cbtState
	// served: bytes the datastore file API sent, per path (served.go).
	served *servedBytes
}

// ensureVM creates the VM when it does not exist (a stock VM such as DC0_H0_VM0 is reused), attaches the
// spec's disks as monolithicFlat VMDKs holding the content bytes, and sets the requested power state.
func (b *builder) ensureVM(v vmSpec) error {
	switch v.DeltaFormat {
	case "", "vmfsSparse":
		b.deltaFormats[v.Name] = "vmfsSparse"
	case "monolithicSparse":
		b.deltaFormats[v.Name] = v.DeltaFormat
	default:
		return fmt.Errorf("deltaFormat %q: use vmfsSparse or monolithicSparse", v.DeltaFormat)
	}
	vm, err := b.finder.VirtualMachine(b.ctx, v.Name)
	if err != nil {
		if _, ok := err.(*find.NotFoundError); !ok {
			return err
		}
		if vm, err = b.createVM(v); err != nil {
			return err
		}
	}
	if err := b.attachDisks(vm, v); err != nil {
		return err
	}
	if v.PowerOn == nil {
		return nil
	}
	state, err := vm.PowerState(b.ctx)
	if err != nil {
		return err
	}
	var task *object.Task
	if *v.PowerOn && state != types.VirtualMachinePowerStatePoweredOn {
		task, err = vm.PowerOn(b.ctx)
	} else if !*v.PowerOn && state != types.VirtualMachinePowerStatePoweredOff {
		task, err = vm.PowerOff(b.ctx)
	}
	if err != nil {
		return err
	}
	if task != nil {
		return task.Wait(b.ctx)
	}
	return nil
}

func (b *builder) createVM(v vmSpec) (*object.VirtualMachine, error) {
	host, err := b.finder.HostSystem(b.ctx, hostPath)
	if err != nil {
		return nil, err
	}
	pool, err := host.ResourcePool(b.ctx)
	if err != nil {
		return nil, err
	}
	folders, err := b.dc.Folders(b.ctx)
	if err != nil {
		return nil, err
	}
	config := types.VirtualMachineConfigSpec{
		Name:     v.Name,
		GuestId:  orDefault(v.GuestID, "otherGuest64"),
		NumCPUs:  v.CPUs,
		MemoryMB: v.MemoryMiB,
		Uuid:     v.UUID,
		Files:    &types.VirtualMachineFileInfo{VmPathName: "[" + datastoreName + "]"},
	}
	if config.NumCPUs == 0 {
		config.NumCPUs = 1
	}
	if config.MemoryMB == 0 {
		config.MemoryMB = 256
	}
	switch v.Firmware {
	case "", "bios":
		config.Firmware = "bios"
	case "uefi", "efi":
		config.Firmware = "efi"
	default:
		return nil, fmt.Errorf("firmware %q: use bios or uefi", v.Firmware)
	}
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return nil, err
	}
	devices = append(devices, scsi)
	for i, n := range v.NICs {
		network, err := b.finder.Network(b.ctx, orDefault(n.Network, "VM Network"))
		if err != nil {
			return nil, fmt.Errorf("nics[%d].network: %v", i, err)
		}
		backing, err := network.EthernetCardBackingInfo(b.ctx)
		if err != nil {
			return nil, err
		}
		card, err := devices.CreateEthernetCard(orDefault(n.Model, "vmxnet3"), backing)
		if err != nil {
			return nil, fmt.Errorf("nics[%d].model: %v", i, err)
		}
		if n.MAC != "" {
			eth := card.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
			eth.MacAddress = n.MAC
			eth.AddressType = string(types.VirtualEthernetCardMacTypeManual)
		}
		devices = append(devices, card)
	}
	config.DeviceChange, err = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return nil, err
	}
	task, err := folders.VmFolder.CreateVM(b.ctx, config, pool, host)
	if err != nil {
		return nil, err
	}
	info, err := task.WaitForResult(b.ctx, nil)
	if err != nil {
		return nil, err
	}
	return object.NewVirtualMachine(b.client.Client, info.Result.(types.ManagedObjectReference)), nil
}

// attachDisks writes each disk's files before ReconfigVM adds the device: with no FileOperation the
// simulator keeps existing files (EditDevice would truncate the descriptor; FACTS.md).
func (b *builder) attachDisks(vm *object.VirtualMachine, v vmSpec) error {
	if len(v.Disks) == 0 {
		return nil
	}
	devices, err := vm.Device(b.ctx)
	if err != nil {
		return err
	}
	controller, err := devices.FindDiskController("scsi")
	if err != nil {
		return err
	}
	var changes []types.BaseVirtualDeviceConfigSpec
	for i, d := range v.Disks {
		dsName := diskDatastore(d)
		ds, ok := b.datastores[dsName]
		if !ok {
			return fmt.Errorf("disks[%d].datastore %q: use %s or %s", i, d.Datastore, datastoreName, secondDatastoreName)
		}
		dir := filepath.Join(ds.dir, v.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		base := fmt.Sprintf("%s_%d", v.Name, i)
		capacity, err := writeFlatVMDK(dir, base, d)
		if err != nil {
			return fmt.Errorf("disks[%d]: %v", i, err)
		}
		disk := devices.CreateDisk(controller, ds.ds.Reference(), fmt.Sprintf("[%s] %s/%s.vmdk", dsName, v.Name, base))
		disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo).ThinProvisioned = types.NewBool(d.Thin)
		disk.CapacityInBytes = capacity
		disk.CapacityInKB = capacity / 1024
		// Keep unit numbers distinct across the disks added in this one reconfigure.
		devices = append(devices, disk)
		changes = append(changes, &types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationAdd,
			Device:    disk,
		})
	}
	task, err := vm.Reconfigure(b.ctx, types.VirtualMachineConfigSpec{DeviceChange: changes})
	if err != nil {
		return err
	}
	if err := task.Wait(b.ctx); err != nil {
		return err
	}
	for i, d := range v.Disks {
		dir := filepath.Join(b.datastores[diskDatastore(d)].dir, v.Name)
		switch d.Format {
		case "", "flat":
		case "monolithicSparse", "streamOptimized":
			if err := writeSparseVMDK(dir, fmt.Sprintf("%s_%d", v.Name, i), d.Format); err != nil {
				return fmt.Errorf("disks[%d]: %v", i, err)
			}
		case "rdm":
			if err := writeRDMDescriptor(dir, fmt.Sprintf("%s_%d", v.Name, i)); err != nil {
				return fmt.Errorf("disks[%d]: %v", i, err)
			}
			b.reportAsRDM(vm.Reference(), fmt.Sprintf("[%s] %s/%s_%d.vmdk", diskDatastore(d), v.Name, v.Name, i))
		default:
			return fmt.Errorf("disks[%d].format %q: use flat, monolithicSparse, streamOptimized or rdm", i, d.Format)
		}
	}
	if obj, ok := simulator.Map.Get(vm.Reference()).(*simulator.VirtualMachine); ok {
		b.refreshDiskLayout(obj)
	}
	return nil
}

// writeFlatVMDK copies the content into <base>-flat.vmdk (extended with zeros to the capacity) and writes
// a monolithicFlat descriptor NUL-padded to 512 bytes, as qemu-img writes them.
func writeFlatVMDK(dir, base string, d diskSpec) (int64, error) {
	src, err := os.Open(d.ContentPath)
	if err != nil {
		return 0, fmt.Errorf("contentPath: %v", err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return 0, err
	}
	capacity := d.CapacityBytes
	if capacity == 0 {
		capacity = st.Size()
	}
	if capacity < st.Size() {
		return 0, fmt.Errorf("capacityBytes %d is smaller than content %s (%d bytes)", capacity, d.ContentPath, st.Size())
	}
	if capacity%1024 != 0 || capacity == 0 {
		return 0, fmt.Errorf("capacityBytes %d must be a positive multiple of 1024", capacity)
	}
	flat, err := os.Create(filepath.Join(dir, base+"-flat.vmdk"))
	if err != nil {
		return 0, err
	}
	defer flat.Close()
	if d.Thin {
		// A thin disk's extent holds only what was written: skip zero blocks, leaving holes.
		if err := copySparse(flat, src); err != nil {
			return 0, err
		}
	} else if _, err := io.Copy(flat, src); err != nil {
		return 0, err
	}
	if err := flat.Truncate(capacity); err != nil {
		return 0, err
	}
	desc := fmt.Sprintf("# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\n"+
		"# Extent description\nRW %d FLAT \"%s-flat.vmdk\" 0\n\n"+
		"# The Disk Data Base\n#DDB\n\nddb.virtualHWVersion = \"4\"\nddb.adapterType = \"lsilogic\"\n", capacity/512, base)
	buf := make([]byte, 512)
	if len(desc) > len(buf) {
		buf = make([]byte, len(desc))
	}
	copy(buf, desc)
	return capacity, os.WriteFile(filepath.Join(dir, base+".vmdk"), buf, 0o644)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func pemCert(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// selfSignedCertificate makes a fresh P-256 certificate for 127.0.0.1/::1/localhost that is its own CA, so a
// test can trust it through a CA bundle as well as pin its thumbprint.
func selfSignedCertificate() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vcsim.landfall.test", Organization: []string{"landfall test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
