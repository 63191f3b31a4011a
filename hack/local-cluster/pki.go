package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The PKI lives in <state>/pki. It is made once per cluster (a `down` removes it), so a restarted
// component finds the same CA, serving certificate and service-account signing key.

// clientIdentity is one client certificate: a user name and its groups, as the API server reads them.
type clientIdentity struct {
	file   string // base name of the .crt, .key and .kubeconfig files
	user   string
	groups []string
}

func clientIdentities(nodes []string) []clientIdentity {
	ids := []clientIdentity{
		{"admin", "local-cluster-admin", []string{"system:masters"}},
		{"controller-manager", "system:kube-controller-manager", nil},
		{"scheduler", "system:kube-scheduler", nil},
	}
	// Each simulated node authenticates as a real kubelet does, so the Node authorizer and the
	// NodeRestriction admission plugin apply to it.
	for _, n := range nodes {
		ids = append(ids, clientIdentity{"node-" + n, "system:node:" + n, []string{"system:nodes"}})
	}
	return ids
}

// ensurePKI creates the CA, the API server's serving certificate, the client certificates with
// their kubeconfigs, and the service-account key pair, unless they exist already.
func ensurePKI(st *state) error {
	dir := st.path("pki")
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "local-cluster-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writeCertAndKey(dir, "ca", caDER, caKey); err != nil {
		return err
	}

	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(firstServiceIP)},
	}
	if err := issue(dir, "apiserver", serving, caCert, caKey); err != nil {
		return err
	}
	for _, id := range clientIdentities(st.Nodes) {
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: id.user, Organization: id.groups},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if err := issue(dir, id.file, tmpl, caCert, caKey); err != nil {
			return err
		}
		if err := writeKubeconfig(st, filepath.Join(dir, id.file+".kubeconfig"), id.file); err != nil {
			return err
		}
	}

	// Service-account tokens are signed with an RSA key: the API server issues them (TokenRequest)
	// and the controller manager's token controller signs legacy token Secrets with the same key.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, "sa.key"), saKey); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, "sa.pub"), "PUBLIC KEY", pub); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "done"), nil, 0o600)
}

// issue signs tmpl with the CA and writes <name>.crt and <name>.key.
func issue(dir, name string, tmpl, ca *x509.Certificate, caKey crypto.Signer) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().AddDate(10, 0, 0)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return err
	}
	return writeCertAndKey(dir, name, der, key)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}

func writeCertAndKey(dir, name string, der []byte, key crypto.Signer) error {
	if err := writePEM(filepath.Join(dir, name+".crt"), "CERTIFICATE", der); err != nil {
		return err
	}
	return writeKey(filepath.Join(dir, name+".key"), key)
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

// writeKubeconfig writes a self-contained kubeconfig (certificates inlined) for one client identity.
func writeKubeconfig(st *state, path, identity string) error {
	read := func(name string) ([]byte, error) { return os.ReadFile(st.path("pki", name)) }
	ca, err := read("ca.crt")
	if err != nil {
		return err
	}
	crt, err := read(identity + ".crt")
	if err != nil {
		return err
	}
	key, err := read(identity + ".key")
	if err != nil {
		return err
	}
	if st.Ports.APIServer == 0 {
		return errors.New("no API server port recorded")
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local-cluster"] = &clientcmdapi.Cluster{
		Server:                   fmt.Sprintf("https://127.0.0.1:%d", st.Ports.APIServer),
		CertificateAuthorityData: ca,
	}
	cfg.AuthInfos[identity] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	cfg.Contexts["local-cluster"] = &clientcmdapi.Context{Cluster: "local-cluster", AuthInfo: identity}
	cfg.CurrentContext = "local-cluster"
	return clientcmd.WriteToFile(*cfg, path)
}
