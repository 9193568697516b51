// A static test program for pods on the real node (what agnhost is upstream, without a registry):
//
//	nodetest serve PORT       HTTP on PORT: /healthz answers "ok", every request is logged to stdout
//	nodetest lookup NAME      print NAME's addresses (through the pod's resolv.conf)
//	nodetest get URL          print the body of GET URL; exit 1 unless it answers 200
//	nodetest whoami           print who the apiserver says the pod's ServiceAccount token is,
//	                          asked through the kubernetes Service with the mounted token and CA
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

const serviceAccount = "/var/run/secrets/kubernetes.io/serviceaccount"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "whoami" {
		whoami()
		return
	}
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: nodetest serve PORT | lookup NAME | get URL | whoami")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2])
	case "lookup":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupHost(ctx, os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, a := range addrs {
			fmt.Println(a)
		}
	case "get":
		client := http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		os.Stdout.Write(body)
		if resp.StatusCode != http.StatusOK {
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

func serve(port string) {
	host, _ := os.Hostname()
	fmt.Printf("nodetest serving on :%s as %s\n", port, host)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("request %s %s from %s\n", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "hello from %s\n", host)
	})
	if err := http.ListenAndServe(":"+port, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func whoami() {
	token, err := os.ReadFile(serviceAccount + "/token")
	fail(err)
	ca, err := os.ReadFile(serviceAccount + "/ca.crt")
	fail(err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	host := os.Getenv("KUBERNETES_SERVICE_HOST") + ":" + os.Getenv("KUBERNETES_SERVICE_PORT")
	url := "https://" + host + "/apis/authentication.k8s.io/v1/selfsubjectreviews"
	body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	fail(err)
	req.Header.Set("Authorization", "Bearer "+string(bytes.TrimSpace(token)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	fail(err)
	defer resp.Body.Close()
	var review struct {
		Status struct {
			UserInfo struct {
				Username string `json:"username"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	fail(json.NewDecoder(resp.Body).Decode(&review))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		fail(fmt.Errorf("%s answered %s", url, resp.Status))
	}
	fmt.Println(review.Status.UserInfo.Username)
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
