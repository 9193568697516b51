// Command controller runs cert-manager's controllers for kbp's real-node tests: the ones that
// issue a certificate from a selfSigned or CA issuer, and the gateway-shim that makes a
// Certificate for each annotated Gateway listener. It stands in for upstream's cmd/controller,
// a nested module the Go module proxy does not serve; the controllers themselves are the root
// module's, unchanged. What differs from upstream (testenv/README.md): no ACME, Vault or Venafi
// issuers, no ingress-shim, no metrics server, no leader election, no webhook or cainjector.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	logsapi "k8s.io/component-base/logs/api/v1"
	"sigs.k8s.io/yaml"

	"github.com/cert-manager/cert-manager/internal/controller/feature"
	configv1alpha1 "github.com/cert-manager/cert-manager/pkg/apis/config/controller/v1alpha1"
	"github.com/cert-manager/cert-manager/pkg/controller"
	shimgateway "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/gateways"
	"github.com/cert-manager/cert-manager/pkg/healthz"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"

	// The controllers this binary runs: each registers itself with pkg/controller on import.
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	// The issuer types the (Cluster)Issuer controllers can set up.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

const (
	apiVersion = "controller.config.cert-manager.io/v1alpha1"
	kind       = "ControllerConfiguration"
)

// Upstream's defaults for the fields this binary reads (internal/apis/config/controller/v1alpha1
// defaults.go, which cannot be imported without every controller it names).
var defaults = configv1alpha1.ControllerConfiguration{
	KubernetesAPIQPS:                ptr[float32](20),
	KubernetesAPIBurst:              ptr[int32](50),
	ClusterResourceNamespace:        "kube-system",
	Controllers:                     []string{"*"},
	IssuerAmbientCredentials:        ptr(false),
	ClusterIssuerAmbientCredentials: ptr(true),
	EnableCertificateOwnerRef:       ptr(false),
	EnableGatewayAPI:                ptr(false),
	CopiedAnnotationPrefixes:        []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
	NumberOfConcurrentWorkers:       ptr[int32](5),
	HealthzListenAddress:            "0.0.0.0:9403",
	IngressShimConfig: configv1alpha1.IngressShimConfig{
		DefaultIssuerKind:                 "Issuer",
		DefaultIssuerGroup:                "cert-manager.io",
		DefaultAutoCertificateAnnotations: []string{"kubernetes.io/tls-acme"},
	},
}

func ptr[T any](v T) *T { return &v }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf.InitLogs()
	defer logf.FlushLogs()
	ctx = logf.NewContext(ctx, logf.Log, "controller")
	if err := run(ctx, os.Args[1:]); errors.Is(err, pflag.ErrHelp) {
		return
	} else if err != nil {
		logf.Log.Error(err, "cert-manager controller failed")
		logf.FlushLogs()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cfg, err := configure(args)
	if err != nil {
		return err
	}
	log := logf.FromContext(ctx)
	enabled, err := enabledControllers(cfg)
	if err != nil {
		return err
	}
	log.Info("starting cert-manager controller (kbp testenv build)", "controllers", sets.List(enabled))

	factory, err := controller.NewContextFactory(ctx, contextOptions(cfg))
	if err != nil {
		return err
	}
	shared, err := factory.Build()
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)

	// /livez as upstream serves it, for the pod's probes.
	listener, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.HealthzListenAddress)
	if err != nil {
		return fmt.Errorf("listening on healthzListenAddress %s: %w", cfg.HealthzListenAddress, err)
	}
	health := healthz.NewServer(0)
	g.Go(func() error { return health.Start(ctx, listener) })

	for name, construct := range controller.Known() {
		if !enabled.Has(name) {
			continue
		}
		loop, err := construct(factory)
		if err != nil {
			return fmt.Errorf("starting controller %s: %w", name, err)
		}
		g.Go(func() error { return loop.Run(int(*cfg.NumberOfConcurrentWorkers), ctx) })
	}
	shared.SharedInformerFactory.Start(ctx.Done())
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	if enabled.Has(shimgateway.ControllerName) {
		shared.GWShared.Start(ctx.Done())
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// configure reads --config (a ControllerConfiguration, decoded strictly: a field this version
// does not know is an error, as upstream's loader makes it) and lets flags override it.
func configure(args []string) (*configv1alpha1.ControllerConfiguration, error) {
	first := pflag.NewFlagSet("controller", pflag.ContinueOnError)
	first.ParseErrorsAllowlist.UnknownFlags = true
	first.Usage = func() {}
	path := first.String("config", "", "")
	_ = first.Parse(args)

	cfg := &configv1alpha1.ControllerConfiguration{}
	if *path != "" {
		data, err := os.ReadFile(*path)
		if err != nil {
			return nil, fmt.Errorf("reading --config: %w", err)
		}
		if err := yaml.UnmarshalStrict(data, cfg); err != nil {
			return nil, fmt.Errorf("--config %s: %w", *path, err)
		}
		if cfg.APIVersion != apiVersion || cfg.Kind != kind {
			return nil, fmt.Errorf("--config %s: want apiVersion %s, kind %s; got %q, %q",
				*path, apiVersion, kind, cfg.APIVersion, cfg.Kind)
		}
	}
	applyDefaults(cfg)
	logsapi.SetRecommendedLoggingConfiguration(&cfg.Logging)

	// The flags of upstream's that the tests use, with upstream's names; they win over the file.
	fs := pflag.NewFlagSet("controller", pflag.ContinueOnError)
	fs.String("config", *path, "path to a ControllerConfiguration file")
	fs.StringVar(&cfg.KubeConfig, "kubeconfig", cfg.KubeConfig, "kubeconfig; in-cluster config when empty")
	fs.StringVar(&cfg.ClusterResourceNamespace, "cluster-resource-namespace", cfg.ClusterResourceNamespace,
		"namespace of the Secrets that ClusterIssuers read")
	fs.StringSliceVar(&cfg.Controllers, "controllers", cfg.Controllers, "controllers to run (*, name, -name)")
	leaderElect := fs.Bool("leader-elect", false, "accepted for upstream's flag set; must be false here")
	logf.AddFlagsNonDeprecated(&cfg.Logging, fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *leaderElect || (cfg.LeaderElectionConfig.Enabled != nil && *cfg.LeaderElectionConfig.Enabled) {
		return nil, errors.New("leader election is not built into this controller: run one replica " +
			"with --leader-elect=false")
	}
	if err := logf.ValidateAndApply(&cfg.Logging); err != nil {
		return nil, err
	}
	if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(cfg.FeatureGates); err != nil {
		return nil, fmt.Errorf("featureGates: %w", err)
	}
	return cfg, nil
}

func applyDefaults(cfg *configv1alpha1.ControllerConfiguration) {
	d := defaults
	if cfg.KubernetesAPIQPS == nil {
		cfg.KubernetesAPIQPS = d.KubernetesAPIQPS
	}
	if cfg.KubernetesAPIBurst == nil {
		cfg.KubernetesAPIBurst = d.KubernetesAPIBurst
	}
	if cfg.ClusterResourceNamespace == "" {
		cfg.ClusterResourceNamespace = d.ClusterResourceNamespace
	}
	if len(cfg.Controllers) == 0 {
		cfg.Controllers = d.Controllers
	}
	if cfg.IssuerAmbientCredentials == nil {
		cfg.IssuerAmbientCredentials = d.IssuerAmbientCredentials
	}
	if cfg.ClusterIssuerAmbientCredentials == nil {
		cfg.ClusterIssuerAmbientCredentials = d.ClusterIssuerAmbientCredentials
	}
	if cfg.EnableCertificateOwnerRef == nil {
		cfg.EnableCertificateOwnerRef = d.EnableCertificateOwnerRef
	}
	if cfg.EnableGatewayAPI == nil {
		cfg.EnableGatewayAPI = d.EnableGatewayAPI
	}
	if len(cfg.CopiedAnnotationPrefixes) == 0 {
		cfg.CopiedAnnotationPrefixes = d.CopiedAnnotationPrefixes
	}
	if cfg.NumberOfConcurrentWorkers == nil {
		cfg.NumberOfConcurrentWorkers = d.NumberOfConcurrentWorkers
	}
	if cfg.HealthzListenAddress == "" {
		cfg.HealthzListenAddress = d.HealthzListenAddress
	}
	shim := &cfg.IngressShimConfig
	if shim.DefaultIssuerKind == "" {
		shim.DefaultIssuerKind = d.IngressShimConfig.DefaultIssuerKind
	}
	if shim.DefaultIssuerGroup == "" {
		shim.DefaultIssuerGroup = d.IngressShimConfig.DefaultIssuerGroup
	}
	if len(shim.DefaultAutoCertificateAnnotations) == 0 {
		shim.DefaultAutoCertificateAnnotations = d.IngressShimConfig.DefaultAutoCertificateAnnotations
	}
}

// enabledControllers follows upstream's options.EnabledControllers: "*" is every controller built
// in except gateway-shim, which enableGatewayAPI (and its feature gate) turns on; "-name" removes
// one. Naming one this build lacks is an error rather than a silent no-op.
func enabledControllers(cfg *configv1alpha1.ControllerConfiguration) (sets.Set[string], error) {
	known := sets.KeySet(controller.Known())
	enabled, disabled := sets.New[string](), sets.New[string]()
	for _, name := range cfg.Controllers {
		switch {
		case name == "*":
			enabled.Insert(known.Difference(sets.New(shimgateway.ControllerName)).UnsortedList()...)
		case strings.HasPrefix(name, "-"):
			disabled.Insert(strings.TrimPrefix(name, "-"))
		default:
			enabled.Insert(name)
		}
	}
	if enabled.Len() == 0 && disabled.Len() > 0 {
		enabled.Insert(known.Difference(sets.New(shimgateway.ControllerName)).UnsortedList()...)
	}
	if utilfeature.DefaultFeatureGate.Enabled(feature.ExperimentalGatewayAPISupport) && *cfg.EnableGatewayAPI {
		enabled.Insert(shimgateway.ControllerName)
	}
	if missing := enabled.Union(disabled).Difference(known); missing.Len() > 0 {
		names := sets.List(known)
		sort.Strings(names)
		return nil, fmt.Errorf("controllers %v are not built into this controller (it has %v)",
			sets.List(missing), names)
	}
	return enabled.Difference(disabled), nil
}

func contextOptions(cfg *configv1alpha1.ControllerConfiguration) controller.ContextOptions {
	zero := resource.MustParse("0")
	return controller.ContextOptions{
		Kubeconfig:         cfg.KubeConfig,
		APIServerHost:      cfg.APIServerHost,
		KubernetesAPIQPS:   *cfg.KubernetesAPIQPS,
		KubernetesAPIBurst: int(*cfg.KubernetesAPIBurst),
		Namespace:          cfg.Namespace,
		// No ACME issuer is built in; the HTTP-01 solver's sizes are never used.
		ACMEOptions: controller.ACMEOptions{
			HTTP01SolverResourceRequestCPU: zero, HTTP01SolverResourceRequestMemory: zero,
			HTTP01SolverResourceLimitsCPU: zero, HTTP01SolverResourceLimitsMemory: zero,
		},
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace:        cfg.ClusterResourceNamespace,
			ClusterIssuerAmbientCredentials: *cfg.ClusterIssuerAmbientCredentials,
			IssuerAmbientCredentials:        *cfg.IssuerAmbientCredentials,
		},
		// The gateway-shim shares the ingress-shim's sync and its options.
		IngressShimOptions: controller.IngressShimOptions{
			DefaultIssuerName:                 cfg.IngressShimConfig.DefaultIssuerName,
			DefaultIssuerKind:                 cfg.IngressShimConfig.DefaultIssuerKind,
			DefaultIssuerGroup:                cfg.IngressShimConfig.DefaultIssuerGroup,
			DefaultAutoCertificateAnnotations: cfg.IngressShimConfig.DefaultAutoCertificateAnnotations,
			ExtraCertificateAnnotations:       cfg.IngressShimConfig.ExtraCertificateAnnotations,
		},
		CertificateOptions: controller.CertificateOptions{
			EnableOwnerRef:           *cfg.EnableCertificateOwnerRef,
			CopiedAnnotationPrefixes: cfg.CopiedAnnotationPrefixes,
		},
		ConfigOptions: controller.ConfigOptions{EnableGatewayAPI: *cfg.EnableGatewayAPI},
	}
}
