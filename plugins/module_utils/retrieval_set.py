# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""A small labelled retrieval set for checking that a migrated embedding model or reranker retrieves as well as the old server.

Written from scratch for this collection (no text is taken from MS MARCO, BEIR, MTEB, Wikipedia or any other public
data set). Both servers embed ``CORPUS`` and ``QUERIES``; retrieval is exact cosine top-k, and NDCG@10, MRR@10 and
Recall@k are compared per query with a paired bootstrap. "Tallyboard" (the SaaS product) and "Northmere Bank" are
fictional.

Composition:

- 318 passages: 102 IT operations (``it-``: Kubernetes/OpenShift, Linux, networking, incident runbooks, TLS
  certificates, databases), 98 product documentation (``doc-``: the fictional Tallyboard product's features, settings,
  billing, API and limits), 104 finance (``fin-``: personal and corporate finance, accounting terms, markets, invoices,
  tax) and 14 general distractors (``gen-``: cooking, gardening, snakes, rivers, apples).
- Passage languages: 239 English, 22 German, 17 French, 20 Spanish, 20 Japanese.
- 60 queries: 20 IT, 19 documentation, 19 finance, 2 general; 44 English, 4 German, 4 French, 4 Spanish and
  4 Japanese (``LANGUAGES``). Non-English queries mostly have their answers in the same language; eight are
  cross-lingual: q-it-15 (de), q-it-18 (ja), q-doc-15 (fr), q-fin-13 (fr) and q-fin-15 (es) are answered by an English
  passage, q-doc-05, q-doc-13 and q-fin-07 (en) by a Spanish, Japanese or German one.
- Passages have 20 to 70 words (Japanese: 50 to 100 characters); any query with any passage, title included, stays
  under 120 word pieces of the all-MiniLM-L6-v2 tokenizer, so that pairs fit rerankers limited to 128 tokens.

Grading (``QRELS``): 2 = the passage answers the query; 1 = on topic or answers part of it; passages not listed
are not relevant (0). Every query has 1 to 4 graded passages, at least one of them graded 2.

Hard cases, so that subtly wrong vectors lose NDCG@10 and small changes reorder close neighbours (all-MiniLM-L6-v2
with CLS instead of mean pooling loses about 0.07 NDCG@10, paired bootstrap 95% interval about 0.03 to 0.12):

- every query has at least two hard negatives: passages graded 0 that share at least two content words with it;
- ambiguous words: q-it-02 and q-gen-01 (python the language / the snake, load shedding / skin shedding), q-fin-01
  (apple stock / apples in stock), q-fin-02 and q-gen-02 (bank charges / river bank), q-doc-11 (cookie settings /
  baking), q-doc-07 (API cursor / mouse cursor), q-doc-15 (lecteur: viewer role / screen reader);
- negation: q-it-01 (pods not scheduled vs how pods are scheduled), q-doc-02 (features not in the Free plan vs
  features included), q-fin-05 (expenses that are not deductible vs deductible ones);
- numbers and versions: q-it-03 (Kubernetes 1.29 vs 1.26 vs 1.25 removals), q-it-04 (TLS 1.3 vs 1.2 suites),
  q-it-11 (502 vs 504), q-doc-01 (rate limit per plan), q-doc-07 (API v3 vs v2), q-fin-03 (401(k) limits 2023/2024/2025),
  q-fin-17 (new NISA vs old NISA);
- near-duplicate passages where one detail decides: q-it-07 (PostgreSQL vs MySQL max_connections), q-doc-03 (invoices
  as CSV vs invoices as PDF vs usage as CSV), q-fin-11 (domestic vs international wire cut-off);
- paraphrased queries that share few words with their answer: q-doc-06, q-doc-08, q-doc-09, q-doc-19, q-fin-09,
  q-fin-18, q-fin-19, q-it-20.
"""

from __future__ import annotations

NAME = "vllm_pooling builtin retrieval set"
VERSION = "1"

# passage id -> {"title": str, "text": str}
CORPUS = {
    "it-001": {
        "title": "Pending pods and FailedScheduling",
        "text": (
            "A pod stays in Pending when the scheduler cannot place it on any node. Run kubectl describe pod and read the FailedScheduling event: "
            "typical causes are insufficient CPU or memory, taints without a matching toleration, a node selector that matches no node, or an unbound "
            "PersistentVolumeClaim."
        ),
    },
    "it-002": {
        "title": "Listing unscheduled pods",
        "text": (
            "kubectl get pods -A --field-selector=status.phase=Pending lists every pod that is still waiting. A pod whose spec.nodeName is empty has "
            "not been bound to a node yet, so the problem is scheduling; if nodeName is set, the delay is image pulling or volume mounting on that "
            "node."
        ),
    },
    "it-003": {
        "title": "How kube-scheduler places pods",
        "text": (
            "For each new pod, kube-scheduler filters out nodes that cannot run it, scores the remaining nodes and binds the pod to the best one. Once "
            "scheduled, the kubelet on that node pulls the images and starts the containers, and the pod moves from Pending to Running."
        ),
    },
    "it-004": {
        "title": "CronJob schedule syntax",
        "text": (
            "A CronJob creates a Job on a schedule written in cron format, for example 0 3 * * * for every night at three. Pods created by a scheduled "
            "Job keep running until they finish; concurrencyPolicy Forbid skips a run while the previous one is still active."
        ),
    },
    "it-005": {
        "title": "Pods stuck in Terminating",
        "text": (
            "A pod stays stuck in Terminating when a finalizer is never removed or its node is unreachable. Check metadata.finalizers, and if the node "
            "is really gone, delete the pod with kubectl delete pod name --grace-period=0 --force."
        ),
    },
    "it-006": {
        "title": "Finding a memory leak in Python",
        "text": (
            "Take two tracemalloc snapshots a few minutes apart with tracemalloc.take_snapshot() and compare them with snapshot.compare_to(old, "
            "'lineno'); the lines whose allocations keep growing point at the leak. Typical culprits are module-level caches, an unbounded lru_cache "
            "and lists that only grow."
        ),
    },
    "it-007": {
        "title": "Python garbage collection",
        "text": (
            "CPython frees most objects by reference counting, and the cyclic collector in the gc module handles reference cycles. Objects that stay "
            "reachable from a global dict or a long-lived cache are never freed, so the memory of the process grows over time even though nothing is "
            "technically lost."
        ),
    },
    "it-008": {
        "title": "Java heap memory leak",
        "text": (
            "When a long running JVM service grows until it throws OutOfMemoryError, capture a heap dump with jmap -dump:live,format=b,file=heap.hprof "
            "followed by the pid and open it in Eclipse MAT. The dominator tree shows which objects retain most of the heap and therefore where the "
            "leak is."
        ),
    },
    "it-009": {
        "title": "Goroutine leak in a Go service",
        "text": (
            "A goroutine blocked forever on a channel never exits, so memory use and the goroutine count of the service rise slowly. Fetch "
            "/debug/pprof/goroutine?debug=1 twice and compare the stacks; a leak shows up as thousands of goroutines parked on the same line."
        ),
    },
    "it-010": {
        "title": "Load shedding in Python APIs",
        "text": (
            "When a Python web service is saturated, shedding load early keeps latency acceptable for the requests it does accept. Return HTTP 503 with "
            "a Retry-After header once the internal queue exceeds a limit instead of accepting work that cannot finish in time."
        ),
    },
    "it-011": {
        "title": "Server room sensor exporter",
        "text": (
            "A small Python script reads temperature and humidity from the server room sensors over Modbus and exposes them as Prometheus gauges. An "
            "alert fires when humidity leaves the band between 40 and 60 percent for more than ten minutes."
        ),
    },
    "it-012": {
        "title": "Kubernetes 1.29 API removals",
        "text": (
            "Kubernetes 1.29 stops serving flowcontrol.apiserver.k8s.io/v1beta2, the old API version of FlowSchema and PriorityLevelConfiguration. Move "
            "manifests and clients to v1, served since 1.29, or to v1beta3, served since 1.26, before upgrading."
        ),
    },
    "it-013": {
        "title": "Kubernetes 1.26 API removals",
        "text": (
            "Kubernetes 1.26 stops serving flowcontrol.apiserver.k8s.io/v1beta1 for FlowSchema and PriorityLevelConfiguration, and removed "
            "autoscaling/v2beta2 HorizontalPodAutoscaler as well. Move to flowcontrol v1beta3 and autoscaling/v2."
        ),
    },
    "it-014": {
        "title": "Kubernetes 1.25 API removals",
        "text": (
            "Kubernetes 1.25 removed PodSecurityPolicy and the beta versions batch/v1beta1 CronJob, autoscaling/v2beta1 HorizontalPodAutoscaler and "
            "policy/v1beta1 PodDisruptionBudget, among others. Pod Security Admission replaces PodSecurityPolicy."
        ),
    },
    "it-015": {
        "title": "Finding deprecated API usage before an upgrade",
        "text": (
            "The apiserver_requested_deprecated_apis metric lists every deprecated API version that clients still request, with a removed_release label "
            "naming the Kubernetes version that will stop serving it. Check it before each upgrade so that no manifest or operator still uses an API "
            "that is about to be removed."
        ),
    },
    "it-016": {
        "title": "TLS 1.3 cipher suites",
        "text": (
            "TLS 1.3 defines only five cipher suites. The three in common use are TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and "
            "TLS_CHACHA20_POLY1305_SHA256; the two AES-CCM suites are rarely enabled. Key exchange is negotiated separately."
        ),
    },
    "it-017": {
        "title": "TLS 1.2 cipher suites",
        "text": (
            "A typical TLS 1.2 cipher suites list starts with ECDHE-ECDSA-AES128-GCM-SHA256 and ECDHE-RSA-AES128-GCM-SHA256, then the AES256 and "
            "CHACHA20-POLY1305 variants. Each TLS 1.2 suite name includes the key exchange and the authentication."
        ),
    },
    "it-018": {
        "title": "Configuring ciphers in nginx",
        "text": (
            "In nginx, ssl_protocols TLSv1.2 TLSv1.3 enables both versions, but the ssl_ciphers directive only sets the TLS 1.2 cipher suites. The TLS "
            "1.3 suites come from OpenSSL defaults and are changed with ssl_conf_command Ciphersuites."
        ),
    },
    "it-019": {
        "title": "Testing which cipher suites a server offers",
        "text": (
            "nmap --script ssl-enum-ciphers -p 443 host, or testssl.sh host, connects repeatedly and prints the list of protocols and cipher suites the "
            "server accepts, graded from A to F. Run it after every change of the load balancer configuration."
        ),
    },
    "it-020": {
        "title": "Checking when a certificate expires",
        "text": (
            "openssl x509 -in cert.pem -noout -enddate prints the notAfter date of a certificate file. For a live server use openssl s_client -connect "
            "host:443 -servername host, piped into openssl x509 -noout -dates. Add -checkend 2592000 to fail if it expires within 30 days."
        ),
    },
    "it-021": {
        "title": "Certificate expiry monitoring",
        "text": (
            "blackbox_exporter exposes probe_ssl_earliest_cert_expiry, the expiry time of the first certificate in the chain as a Unix timestamp. Alert "
            "when probe_ssl_earliest_cert_expiry - time() is less than 14 days, so that renewal happens long before clients see errors."
        ),
    },
    "it-022": {
        "title": "Generating a CSR with openssl",
        "text": (
            "openssl req -new -newkey rsa:2048 -nodes -keyout server.key -out server.csr creates a private key and a certificate signing request. The "
            "certificate authority decides the validity period and the expiry date, not the request, so there is no date to set here."
        ),
    },
    "it-023": {
        "title": "Converting certificate formats with openssl",
        "text": (
            "openssl x509 -in cert.der -inform der -out cert.pem converts a DER certificate to PEM, and openssl pkcs12 -export -in cert.pem -inkey "
            "key.pem -out bundle.p12 builds a PKCS#12 bundle for Java or Windows. The content of the certificate does not change."
        ),
    },
    "it-024": {
        "title": "Replacing the default ingress certificate",
        "text": (
            "Create a TLS secret in openshift-ingress with oc create secret tls custom-certs --cert=fullchain.pem --key=key.pem, then set "
            "spec.defaultCertificate.name to custom-certs on the default IngressController in openshift-ingress-operator. The router pods restart with "
            "it."
        ),
    },
    "it-025": {
        "title": "Route certificates in OpenShift",
        "text": (
            "An edge or reencrypt Route can carry its own certificate and key in spec.tls. Such routes keep their own certificate when the default "
            "ingress certificate changes, so rotate them separately, for example with cert-manager and the openshift-routes integration."
        ),
    },
    "it-026": {
        "title": "Rotating the OpenShift service CA",
        "text": (
            "The service-ca operator signs serving certificates for services annotated with service.beta.openshift.io/serving-cert-secret-name. To "
            "rotate the service CA early, delete the signing-key secret in the openshift-service-ca namespace; every certificate it signed is reissued."
        ),
    },
    "it-027": {
        "title": "OpenShift router sharding",
        "text": (
            "Run a second IngressController with a routeSelector or namespaceSelector so that some routes are served by dedicated router pods. Each "
            "IngressController has its own domain and default certificate, and the ingress operator creates a separate load balancer service for it."
        ),
    },
    "it-028": {
        "title": "PostgreSQL max_connections",
        "text": (
            "The default value of max_connections in PostgreSQL is 100; it is set in postgresql.conf and only takes effect after a server restart. "
            "Every connection is a backend process with its own memory, so raising it to many hundreds is usually worse than putting PgBouncer in "
            "front."
        ),
    },
    "it-029": {
        "title": "MySQL max_connections",
        "text": (
            "The default value of max_connections in MySQL 8.0 is 151. The server actually accepts max_connections plus one, so that an account with "
            "CONNECTION_ADMIN can still log in when all slots are taken. Change it at runtime with SET GLOBAL max_connections = 500."
        ),
    },
    "it-030": {
        "title": "PgBouncer pool sizes",
        "text": (
            "In PgBouncer, default_pool_size is 20 server connections per user and database pair, and max_client_conn defaults to 100 client "
            "connections. Transaction pooling lets thousands of clients share a few PostgreSQL backends, but session features such as advisory locks "
            "break."
        ),
    },
    "it-031": {
        "title": "Too many clients already",
        "text": (
            "PostgreSQL answers FATAL: sorry, too many clients already once all max_connections slots except superuser_reserved_connections, which "
            "default to 3, are in use. Look for idle sessions in pg_stat_activity and set idle_session_timeout before raising the limit."
        ),
    },
    "it-032": {
        "title": "Runbook: NodeDiskPressure",
        "text": (
            "1. Confirm DiskPressure with kubectl describe node. 2. On the node, check df -h for /var/lib/containers and /var/log. 3. Prune unused "
            "images with crictl rmi --prune. 4. Shrink the journal with journalctl --vacuum-size=500M. 5. Limit ephemeral storage of pods."
        ),
    },
    "it-033": {
        "title": "Kubelet eviction thresholds",
        "text": (
            "By default the kubelet starts evicting pods when nodefs.available drops below 10 percent, imagefs.available below 15 percent or "
            "memory.available below 100Mi. Hard thresholds evict immediately; soft thresholds wait for a grace period first."
        ),
    },
    "it-034": {
        "title": "Runbook: NodeMemoryPressure",
        "text": (
            "When the kubelet reports MemoryPressure on a node it evicts BestEffort pods first, then Burstable pods that exceed their requests. Find "
            "the biggest consumers with kubectl top pods -A --sort-by=memory and add memory limits to them; this runbook does not cover disk."
        ),
    },
    "it-035": {
        "title": "Evicting pods before maintenance",
        "text": (
            "kubectl drain node-3 --ignore-daemonsets --delete-emptydir-data cordons the node and evicts its pods while honouring PodDisruptionBudgets. "
            "After the maintenance, kubectl uncordon node-3 makes the node schedulable again."
        ),
    },
    "it-036": {
        "title": "Which process owns a port",
        "text": (
            "ss -ltnp 'sport = :8080' shows the listening socket on port 8080 together with the process name and PID; run it as root to see processes "
            "of other users. Alternatives are lsof -iTCP:8080 -sTCP:LISTEN and fuser 8080/tcp."
        ),
    },
    "it-037": {
        "title": "Opening port 8080 in firewalld",
        "text": (
            "firewall-cmd --permanent --add-port=8080/tcp followed by firewall-cmd --reload opens the port, and firewall-cmd --list-ports shows the "
            "result. This only allows traffic in; it does not start a process listening on the port."
        ),
    },
    "it-038": {
        "title": "Linux process priority",
        "text": (
            "On Linux, nice -n 10 command starts a process with lower CPU priority, renice -n 5 -p PID changes it for a running process, and ps -o "
            "pid,ni,comm shows the current niceness of each process."
        ),
    },
    "it-039": {
        "title": "Network bonding on Linux",
        "text": (
            "A bond in mode 802.3ad combines two interfaces into one LACP link and needs matching switch configuration; active-backup mode works with "
            "any switch. cat /proc/net/bonding/bond0 shows the state of each member interface."
        ),
    },
    "it-040": {
        "title": "Pod DNS failures while the node resolves",
        "text": (
            "Check that the CoreDNS pods in kube-system are Running, run nslookup kubernetes.default from a debug pod, and compare /etc/resolv.conf in "
            "the pod: its nameserver must be the cluster DNS service IP. A NetworkPolicy that blocks egress to port 53 is a common cause."
        ),
    },
    "it-041": {
        "title": "ndots and slow lookups in pods",
        "text": (
            "With the default ndots:5, a pod resolving api.example.com first tries every search domain, which produces several failed queries before "
            "the real one. Use a trailing dot in the name or set dnsConfig options ndots to 2 in the pod spec."
        ),
    },
    "it-042": {
        "title": "DNS resolution on a Linux node",
        "text": (
            "On a node with systemd-resolved the stub resolver listens on 127.0.0.53. resolvectl status shows the upstream servers per network link, "
            "and resolvectl query example.com tests resolution through the same path that applications use."
        ),
    },
    "it-043": {
        "title": "Image pull fails inside the cluster but works on the node",
        "text": (
            "The kubelet, not the pod, pulls images, so a pull that works with podman on the node but fails for a pod usually means a missing "
            "imagePullSecret or a registry CA that is trusted by the user but not by CRI-O in /etc/containers/certs.d."
        ),
    },
    "it-044": {
        "title": "502 Bad Gateway from nginx",
        "text": (
            "A 502 means nginx got no valid response from the upstream. Read error.log: connect() failed (111: Connection refused) means nothing "
            "listens on the upstream port, while upstream prematurely closed connection points at an application crash or a keepalive timeout on the "
            "backend that is shorter than nginx's."
        ),
    },
    "it-045": {
        "title": "504 Gateway Timeout from nginx",
        "text": (
            "A 504 Gateway Timeout from nginx means the upstream accepted the connection but did not answer within proxy_read_timeout, 60 seconds by "
            "default. Raise the timeout only after finding out why the backend is slow; error.log shows upstream timed out (110: Connection timed out)."
        ),
    },
    "it-046": {
        "title": "nginx upstream load balancing",
        "text": (
            "An upstream block in nginx lists the backend servers. The default method is round robin, with least_conn and ip_hash as alternatives, and "
            "max_fails with fail_timeout marks a server as unavailable for a while after repeated errors."
        ),
    },
    "it-047": {
        "title": "Kernel parameters with sysctl",
        "text": (
            "sysctl -w net.core.somaxconn=4096 changes a kernel parameter until the next reboot; put it in a file under /etc/sysctl.d and run sysctl "
            "--system to make it permanent."
        ),
    },
    "it-048": {
        "title": "Expanding a PersistentVolumeClaim",
        "text": (
            "If the StorageClass has allowVolumeExpansion set to true, edit the PersistentVolumeClaim and raise spec.resources.requests.storage. Most "
            "CSI drivers grow the volume and the filesystem online, so the pod keeps running without downtime; shrinking a claim is not supported."
        ),
    },
    "it-049": {
        "title": "PersistentVolumeClaim stuck in Pending",
        "text": (
            "A PersistentVolumeClaim stays Pending when no PersistentVolume matches its requested size, access mode and storageClassName, or when the "
            "StorageClass uses WaitForFirstConsumer and no pod uses the claim yet."
        ),
    },
    "it-050": {
        "title": "Zero downtime deployments",
        "text": (
            "A RollingUpdate with maxUnavailable 0 and a readiness probe lets a Deployment replace pods without downtime. Increase the surge size to "
            "roll faster, and add a preStop sleep so that endpoints are removed before the container stops."
        ),
    },
    "it-051": {
        "title": "Growing an LVM volume on Linux",
        "text": (
            "lvextend -L +10G /dev/vg0/data followed by xfs_growfs or resize2fs will increase the size of a logical volume and its filesystem. Both XFS "
            "and ext4 grow while mounted, without downtime, but XFS can never be shrunk."
        ),
    },
    "it-052": {
        "title": "Redis eviction policies",
        "text": (
            "When maxmemory is reached, allkeys-lru evicts the least recently used keys among all keys, while volatile-lru only considers keys that "
            "have a TTL. With volatile-lru and no expiring keys Redis behaves like noeviction and rejects writes with an OOM error."
        ),
    },
    "it-053": {
        "title": "Setting maxmemory in Redis",
        "text": (
            "CONFIG SET maxmemory 2gb changes the memory limit at runtime; add it to redis.conf to keep it after a restart. The default "
            "maxmemory-policy is noeviction, and INFO memory shows used_memory and the configured limit."
        ),
    },
    "it-054": {
        "title": "Redis persistence",
        "text": (
            "Redis can persist data as RDB snapshots, as an append-only file, or both. With the AOF the fsync policy appendfsync everysec loses at most "
            "one second of writes; RDB alone can lose everything since the last snapshot."
        ),
    },
    "it-055": {
        "title": "Memcached eviction",
        "text": (
            "Memcached evicts the least recently used items of a slab class when memory is full. There is no maxmemory directive as in Redis; the "
            "memory limit is set with the -m option in megabytes, and the evictions counter in stats shows how often it happens."
        ),
    },
    "it-056": {
        "title": "Zertifikat mit certbot erneuern",
        "text": (
            "certbot renew erneuert jedes Zertifikat, das in weniger als 30 Tagen abläuft; certbot renew --dry-run testet das vorher. Der certbot.timer "
            "startet die Erneuerung zweimal täglich, danach wird der Webserver neu geladen."
        ),
    },
    "it-057": {
        "title": "Ablaufdatum eines Zertifikats prüfen",
        "text": (
            "Das Ablaufdatum zeigt openssl x509 -in cert.pem -noout -enddate, bei einem Server hilft openssl s_client -connect host:443. Läuft das "
            "Zertifikat bald ab, prüfen Sie die automatische Erneuerung."
        ),
    },
    "it-058": {
        "title": "certbot installieren",
        "text": (
            "Unter Debian und Ubuntu installieren Sie certbot mit apt install certbot python3-certbot-nginx. Beim ersten Aufruf von certbot --nginx -d "
            "example.de wird das Zertifikat ausgestellt und die nginx-Konfiguration angepasst."
        ),
    },
    "it-059": {
        "title": "Zertifikat widerrufen",
        "text": (
            "Wurde der private Schlüssel kompromittiert, widerrufen Sie das Zertifikat mit certbot revoke --cert-path und dem Pfad zur Datei. Danach "
            "entfernt certbot delete die Konfiguration, damit das Zertifikat nicht mehr verlängert wird."
        ),
    },
    "it-060": {
        "title": "CrashLoopBackOff",
        "text": (
            "In CrashLoopBackOff the container starts, exits and is restarted with a growing back-off delay of up to five minutes. Run kubectl logs pod "
            "--previous to read the output of the crashed instance and kubectl describe pod for the exit code: 137 means OOMKilled, 1 usually an "
            "application error or missing configuration."
        ),
    },
    "it-061": {
        "title": "CrashLoopBackOff kurz erklärt",
        "text": (
            "Bei CrashLoopBackOff startet der Container, beendet sich und wird von Kubernetes immer wieder neu gestartet, mit wachsender Wartezeit. Die "
            "Ursache steht meist in den Logs der vorherigen Instanz."
        ),
    },
    "it-062": {
        "title": "ImagePullBackOff",
        "text": (
            "Bei ImagePullBackOff startet der Pod gar nicht, weil das Image nicht geladen werden kann. Die Ursache ist meist ein falscher Tag, ein "
            "fehlendes Pull-Secret oder eine Registry, die vom Knoten aus nicht erreichbar ist."
        ),
    },
    "it-063": {
        "title": "Server startet immer wieder neu",
        "text": (
            "Startet ein Linux-Server immer wieder neu, zeigt journalctl -b -1 das Protokoll des vorherigen Boots. Häufige Ursache sind Kernel-Panics, "
            "ein Watchdog, der nach einem Hänger auslöst, oder ein defektes Netzteil."
        ),
    },
    "it-064": {
        "title": "Conteneur OOMKilled",
        "text": (
            "Un conteneur OOMKilled a été tué par le noyau car il dépassait sa limite mémoire. Augmentez resources.limits.memory dans le Deployment, "
            "par exemple avec oc set resources deployment/app --limits=memory=1Gi, et vérifiez que le runtime respecte cette limite."
        ),
    },
    "it-065": {
        "title": "Limite CPU d'un conteneur",
        "text": (
            "Quand un conteneur atteint sa limite CPU, il est ralenti par le throttling mais jamais tué. Surveillez la métrique "
            "container_cpu_cfs_throttled_periods_total pour repérer les conteneurs freinés et augmentez la limite si la latence en souffre."
        ),
    },
    "it-066": {
        "title": "Quotas de projet OpenShift",
        "text": (
            "Un ResourceQuota plafonne ce qu'un projet OpenShift peut consommer au total : nombre de pods, de secrets, de services, et somme de la "
            "mémoire demandée. Quand le quota est atteint, la création de nouveaux objets est refusée avec une erreur explicite."
        ),
    },
    "it-067": {
        "title": "Rotating application logs",
        "text": (
            "logrotate reads /etc/logrotate.d and rotates files daily or by size, keeps a number of old copies and compresses them. Use copytruncate "
            "for applications that cannot reopen their log file on a signal."
        ),
    },
    "it-068": {
        "title": "Copia de seguridad con pg_dump",
        "text": (
            "pg_dump -Fc -f tienda.dump tienda crea un backup comprimido de la base de datos tienda, y pg_restore -d tienda tienda.dump lo restaura. "
            "pg_dump no bloquea las escrituras y produce una copia consistente aunque la base siga en uso."
        ),
    },
    "it-069": {
        "title": "pg_dumpall",
        "text": (
            "Para copiar todas las bases de datos de un servidor PostgreSQL, incluidos los roles y los tablespaces, use pg_dumpall > cluster.sql. El "
            "resultado es un script SQL que se restaura con psql; no admite el formato comprimido de pg_dump."
        ),
    },
    "it-070": {
        "title": "Backup de MySQL",
        "text": (
            "mysqldump --single-transaction --routines tienda > tienda.sql hace un backup consistente de una base de datos InnoDB sin bloquear las "
            "tablas. Para bases de datos grandes conviene una herramienta física como Percona XtraBackup."
        ),
    },
    "it-071": {
        "title": "Recuperación a un punto en el tiempo",
        "text": (
            "Para recuperar una base de datos PostgreSQL a un momento exacto se necesitan un backup base y el archivo continuo de WAL. Se define "
            "recovery_target_time y PostgreSQL reproduce los WAL hasta esa hora."
        ),
    },
    "it-072": {
        "title": "Encrypting Secrets at rest",
        "text": (
            "By default Kubernetes stores Secrets in etcd only base64 encoded. Pass --encryption-provider-config to kube-apiserver with an "
            "EncryptionConfiguration that lists aescbc, secretbox or a KMS v2 provider, then rewrite existing Secrets with kubectl get secrets -A -o "
            "json piped into kubectl replace."
        ),
    },
    "it-073": {
        "title": "Secret の保存形式",
        "text": "Kubernetes の Secret は etcd に base64 でエンコードされて保存されるだけで、暗号化はされません。etcd の保存データを暗号化するには API サーバーの設定が必要です。",
    },
    "it-074": {
        "title": "ConfigMap と Secret の違い",
        "text": "どちらも Pod に設定を渡す方法ですが、Secret は機密情報用で値が base64 でエンコードされます。ConfigMap は平文で保存され、環境変数やファイルとして Pod に渡せます。",
    },
    "it-075": {
        "title": "ディスクの暗号化",
        "text": "Linux では LUKS を使ってディスク全体を暗号化し、保存データを守る方法が一般的です。cryptsetup luksFormat でボリュームを作成し、起動時にパスフレーズで解除します。",
    },
    "it-076": {
        "title": "Readiness and liveness probes",
        "text": (
            "A failing readiness probe removes the pod from its Service endpoints but leaves it running; a failing liveness probe makes the kubelet "
            "restart the container. Give slow-starting applications a startupProbe so the liveness probe does not kill them during startup."
        ),
    },
    "it-077": {
        "title": "Taints and tolerations",
        "text": (
            "kubectl taint nodes gpu-1 dedicated=gpu:NoSchedule keeps every pod without a matching toleration off that node. Add a toleration with key "
            "dedicated, value gpu and effect NoSchedule to the workloads that may run there; NoExecute also evicts pods that are already running."
        ),
    },
    "it-078": {
        "title": "MTU mismatch",
        "text": (
            "When SSH works but TLS handshakes or large HTTP responses hang, suspect an MTU mismatch: big packets are dropped and ICMP "
            "fragmentation-needed messages are filtered. Compare ip link output on both ends; overlay networks such as VXLAN need an MTU about 50 bytes "
            "smaller than the underlay."
        ),
    },
    "it-079": {
        "title": "BGP session flapping",
        "text": (
            "A BGP session that goes up and down every few minutes usually has mismatched hold timers, an overloaded control plane or a link that drops "
            "keepalives. Check the neighbor state history and enable BFD for fast, stable failure detection instead of lowering the timers."
        ),
    },
    "it-080": {
        "title": "Incident severity levels",
        "text": (
            "SEV1: customer-facing outage or data loss, page the on-call engineer and the incident commander immediately. SEV2: major feature degraded "
            "for many users, respond within 30 minutes. SEV3: minor impact or a workaround exists, handle during business hours."
        ),
    },
    "it-081": {
        "title": "Blameless postmortem template",
        "text": (
            "A postmortem records the summary, impact with start and end times, the timeline, the root cause and contributing factors, what went well, "
            "and action items with owners and due dates. It describes systems and decisions, never blames individuals."
        ),
    },
    "it-082": {
        "title": "etcd defragmentation",
        "text": (
            "etcd keeps old revisions until compaction, and even after compaction the database file does not shrink until etcdctl defrag runs on each "
            "member. The default backend quota is 2 GiB; when it is exceeded etcd raises a NOSPACE alarm and refuses writes."
        ),
    },
    "it-083": {
        "title": "systemd restart policy",
        "text": (
            "Restart=on-failure with RestartSec=5 in the [Service] section restarts a unit five seconds after it exits with an error. "
            "StartLimitIntervalSec and StartLimitBurst stop the restarts if the unit fails too often in a short time."
        ),
    },
    "it-084": {
        "title": "Reading logs with journalctl",
        "text": (
            "journalctl -u nginx --since '1 hour ago' shows the last hour of a unit's logs, -f follows new lines, -p err filters by priority and -b "
            "limits the output to the current boot. Persistent storage needs Storage=persistent in /etc/systemd/journald.conf."
        ),
    },
    "it-085": {
        "title": "SELinux denials",
        "text": (
            "Find recent denials with ausearch -m avc -ts recent. Wrong file labels are fixed with restorecon -Rv on the directory; a web server that "
            "must open outgoing connections needs setsebool -P httpd_can_network_connect 1. Do not disable SELinux to make an error go away."
        ),
    },
    "it-086": {
        "title": "Incomplete certificate chain",
        "text": (
            "Clients that report unable to get local issuer certificate while browsers work usually talk to a server that sends only the leaf "
            "certificate. Configure the full chain, leaf first and then the intermediates, and verify it with openssl s_client -showcerts."
        ),
    },
    "it-087": {
        "title": "cert-manager renewal",
        "text": (
            "cert-manager renews a Certificate when two thirds of its lifetime has passed, unless spec.renewBefore sets another margin. kubectl "
            "describe certificate shows the next renewal time, and the CertificateRequest objects show why an issuance failed."
        ),
    },
    "it-088": {
        "title": "PostgreSQL vacuum and bloat",
        "text": (
            "Autovacuum reclaims space from dead rows and keeps visibility maps current. Tables with heavy updates may need a lower "
            "autovacuum_vacuum_scale_factor; VACUUM FULL rewrites the table and returns space to the operating system but locks it for the whole run."
        ),
    },
    "it-089": {
        "title": "PostgreSQL replication lag",
        "text": (
            "On the primary, SELECT client_addr, replay_lag FROM pg_stat_replication shows how far each standby is behind. Lag that keeps growing "
            "usually comes from long queries on the standby, a slow disk or a saturated network link."
        ),
    },
    "it-090": {
        "title": "Namespace anlegen",
        "text": (
            "Mit kubectl create namespace team-a legen Sie einen neuen Namespace an. Ressourcen wie Deployments und Services gehören immer zu einem "
            "Namespace, Knoten und PersistentVolumes dagegen nicht. kubectl config set-context --current --namespace=team-a macht ihn zum Standard."
        ),
    },
    "it-091": {
        "title": "Redémarrer un service systemd",
        "text": (
            "systemctl restart nginx arrête puis relance le service, tandis que systemctl reload nginx relit la configuration sans couper les "
            "connexions. systemctl status nginx affiche l'état et les dernières lignes du journal."
        ),
    },
    "it-092": {
        "title": "Reiniciar un pod en Kubernetes",
        "text": (
            "No existe kubectl restart pod. Para reiniciar los pods de un Deployment use kubectl rollout restart deployment/app, que los reemplaza uno "
            "a uno; un pod suelto se elimina y su controlador crea otro nuevo."
        ),
    },
    "it-093": {
        "title": "ノードのメンテナンス",
        "text": "kubectl drain でノード上の Pod を退避させてからメンテナンスを行い、作業後に kubectl uncordon でスケジュール可能な状態に戻します。DaemonSet の Pod は退避の対象外です。",
    },
    "it-094": {
        "title": "Autoscaling on CPU",
        "text": (
            "kubectl autoscale deployment app --cpu-percent=70 --min=2 --max=10 creates a HorizontalPodAutoscaler. It only works if the containers "
            "declare CPU requests, because utilisation is measured as a percentage of the request, and metrics-server must be running."
        ),
    },
    "it-095": {
        "title": "Ingress and Route in OpenShift",
        "text": (
            "OpenShift accepts standard Kubernetes Ingress objects and converts each one into a Route automatically. Routes support features that "
            "Ingress lacks in OpenShift, such as reencrypt and passthrough termination and weighted backends for canary releases."
        ),
    },
    "it-096": {
        "title": "netstat as the older alternative",
        "text": (
            "netstat -tulpn is the older way to list listening TCP and UDP sockets with the PID and name of the program that owns each one. It comes "
            "from the net-tools package, which many current distributions no longer install by default."
        ),
    },
    "it-097": {
        "title": "Errors while a backend restarts",
        "text": (
            "When a backend pod restarts behind a reverse proxy, requests that arrive before it is ready fail with bad gateway errors. A readiness "
            "probe plus a short retry with proxy_next_upstream error timeout hides these blips from users."
        ),
    },
    "it-098": {
        "title": "Online or offline expansion",
        "text": (
            "Online volume expansion must be supported by the CSI driver. With drivers that only expand offline, the claim shows the condition "
            "FileSystemResizePending and the new capacity appears only after the pod using it is restarted."
        ),
    },
    "it-099": {
        "title": "Choisir la bonne limite mémoire",
        "text": (
            "Observez la consommation réelle avec oc adm top pods pendant une charge normale, puis fixez la limite environ 25 % au-dessus du pic "
            "observé et la requête au niveau moyen. Une limite trop serrée provoque des redémarrages à répétition."
        ),
    },
    "it-100": {
        "title": "Kubernetes restart policy",
        "text": (
            "With restartPolicy Always the kubelet keeps restarting a failed container in a loop, waiting longer each time up to five minutes. There is "
            "no field to limit the number of restarts; fix the cause or scale the Deployment to zero."
        ),
    },
    "it-101": {
        "title": "Slow responses from a web server",
        "text": (
            "When a web server answers slowly for every request, look at the worker pool first: if all workers are busy, new requests wait in the "
            "accept queue. Raise the worker count or move slow work to a background queue."
        ),
    },
    "it-102": {
        "title": "Ping works but the service does not",
        "text": (
            "If ping is fine but connections to the service time out, ICMP is allowed while the TCP port is blocked by a firewall or security group, or "
            "nothing listens on it. Test the port itself with nc -vz host port."
        ),
    },
    "doc-001": {
        "title": "API rate limits: Business plan",
        "text": (
            "Business workspaces may send 600 API requests per minute per token, with short bursts of up to 100 requests per second. Requests above the "
            "rate limit get HTTP 429 and a Retry-After header; the limit is counted per token, not per workspace."
        ),
    },
    "doc-002": {
        "title": "API rate limits: Starter plan",
        "text": (
            "Starter workspaces may send 120 API requests per minute per token, with short bursts of up to 20 requests per second. Requests above the "
            "rate limit get HTTP 429 and a Retry-After header; the limit is counted per token, not per workspace."
        ),
    },
    "doc-003": {
        "title": "API rate limits: Enterprise plan",
        "text": (
            "Enterprise workspaces may send 3,000 API requests per minute per token, with short bursts of up to 300 requests per second, and the limit "
            "can be raised by contract. Requests above the rate limit get HTTP 429 and a Retry-After header."
        ),
    },
    "doc-004": {
        "title": "Handling 429 responses",
        "text": (
            "When the Tallyboard API answers 429 Too Many Requests, wait for the number of seconds in Retry-After before retrying. The "
            "X-RateLimit-Remaining header tells how many requests are left in the current one-minute window, so a client can slow down before it hits "
            "the limit."
        ),
    },
    "doc-005": {
        "title": "What the Free plan leaves out",
        "text": (
            "Free workspaces do not get SAML single sign-on, audit log export, scheduled PDF reports, custom domains or priority support, and their API "
            "access is read-only. Upgrade to Starter for scheduled reports, or to Business for single sign-on and the audit log."
        ),
    },
    "doc-006": {
        "title": "Free plan overview",
        "text": (
            "The Free plan includes up to 3 dashboards, 5 members, 2 data connectors and 30 days of data history. It costs nothing, needs no credit "
            "card and can be upgraded at any time without losing dashboards."
        ),
    },
    "doc-007": {
        "title": "Business plan features",
        "text": (
            "Features included in the Business plan: SAML single sign-on, audit log export, 50 data connectors, 1-minute dashboard refresh, 100 GB of "
            "storage and email support with a one business day response time."
        ),
    },
    "doc-008": {
        "title": "Features in every plan",
        "text": (
            "Every plan, the Free plan included, comes with two-factor authentication, CSV export of charts, public status notifications, the mobile "
            "app and unlimited viewers on shared links. These features are never removed on downgrade."
        ),
    },
    "doc-009": {
        "title": "Exporting invoices to CSV",
        "text": (
            "In Settings > Billing > Invoices, select a date range and click Export CSV. The file has one row per invoice with number, date, net "
            "amount, tax, total and payment status. Only workspace owners and billing admins can open this page."
        ),
    },
    "doc-010": {
        "title": "Exporting invoices to PDF",
        "text": (
            "In Settings > Billing > Invoices, open an invoice and click Download PDF, or select several invoices and export them as one ZIP archive of "
            "PDF files. The PDF shows your billing address and VAT number as they were when the invoice was issued."
        ),
    },
    "doc-011": {
        "title": "Exporting usage reports to CSV",
        "text": (
            "In Settings > Usage, select a date range and click Export CSV. The file has one row per day with API calls, storage used, active members "
            "and refresh runs. Invoices are not part of this export; they have their own page under Billing."
        ),
    },
    "doc-012": {
        "title": "Exporting chart data as CSV",
        "text": (
            "Every chart has a menu with Export > CSV, which downloads the data behind the chart with the current filters applied. Tables with more "
            "than one million rows are exported in the background and sent by email as a link."
        ),
    },
    "doc-013": {
        "title": "Setting up SAML SSO with Okta",
        "text": (
            "In Okta, create a SAML 2.0 app with the ACS URL https://app.tallyboard.example/sso/saml/acs and the entity ID tallyboard, and map the "
            "email attribute. Paste Okta's metadata URL in Tallyboard under Settings > Security > Single sign-on and click Test connection. SSO needs "
            "Business or Enterprise."
        ),
    },
    "doc-014": {
        "title": "Enforcing single sign-on",
        "text": (
            "After a successful test, turn on Require single sign-on so members can no longer log in with a password. Workspace owners keep a "
            "break-glass password login in case the identity provider is down."
        ),
    },
    "doc-015": {
        "title": "SCIM provisioning with Okta",
        "text": (
            "Tallyboard supports SCIM 2.0, so Okta can create, update and deactivate members automatically. To enable it, generate a SCIM token under "
            "Settings > Security > Provisioning and add the Tallyboard SCIM base URL and token to the Okta app."
        ),
    },
    "doc-016": {
        "title": "Sign in with Google",
        "text": (
            "Members can sign in with their Google account on every plan. This is not SAML single sign-on: it cannot be enforced for the workspace and "
            "does not remove members when they leave your company."
        ),
    },
    "doc-017": {
        "title": "Data residency",
        "text": (
            "The data region, US or EU, is chosen when a workspace is created and cannot be changed afterwards. To move to the EU region, create a new "
            "EU workspace and use Settings > Workspace > Migrate data, which copies dashboards, datasets and members; the old workspace is deleted "
            "after 30 days."
        ),
    },
    "doc-018": {
        "title": "Región de datos",
        "text": (
            "La región de datos, EE. UU. o UE, se elige al crear el espacio de trabajo y no se puede cambiar después. Para pasar a la UE, cree un "
            "espacio nuevo en la UE y use Migrar datos; el espacio antiguo se borra a los 30 días."
        ),
    },
    "doc-019": {
        "title": "Data retention period",
        "text": (
            "Owners can change how long raw data is kept under Settings > Workspace > Data retention: 90 days, 13 months, which is the default, or 5 "
            "years on Enterprise. When you shorten the period, older data is deleted within 24 hours."
        ),
    },
    "doc-020": {
        "title": "Region status",
        "text": (
            "The status page lists the US region and the EU region separately, with the data connectors, API and dashboards of each. Subscribe to a "
            "region to get an email when an incident starts or is resolved."
        ),
    },
    "doc-021": {
        "title": "Verifying webhook signatures",
        "text": (
            "Each webhook request carries a Tally-Signature header with a timestamp and an HMAC-SHA256 of timestamp.body computed with the endpoint's "
            "signing secret. Recompute the HMAC, compare it in constant time and reject requests older than five minutes to block replays."
        ),
    },
    "doc-022": {
        "title": "Webhook retries",
        "text": (
            "Tallyboard retries failed webhook deliveries, meaning a non-2xx answer or no answer within 10 seconds, up to 8 times with exponential "
            "backoff over about 24 hours. Every retry gets a fresh timestamp and signature, so do not cache the first one."
        ),
    },
    "doc-023": {
        "title": "Creating a webhook endpoint",
        "text": (
            "Go to Settings > Developers > Webhooks > Add endpoint, enter the HTTPS URL and choose the events. The signing secret is shown once; store "
            "it safely. Tallyboard sends a verification ping that your endpoint must answer with HTTP 200."
        ),
    },
    "doc-024": {
        "title": "Legacy API v1 request signatures",
        "text": (
            "Tallyboard API v1 clients signed every call with an MD5 signature of the query string. v1 was retired in 2024; the servers no longer "
            "perform verification of v1 signatures and answer every v1 call with HTTP 410 Gone."
        ),
    },
    "doc-025": {
        "title": "Pagination in API v3",
        "text": (
            "List endpoints in API v3 return at most 200 items and a next_cursor field; pass it as the cursor parameter to fetch the next page. An "
            "empty next_cursor means the last page. A cursor expires after 24 hours."
        ),
    },
    "doc-026": {
        "title": "Pagination in API v2",
        "text": (
            "Pagination in API v2 uses page and per_page parameters, with at most 100 items per page, and return total_count; there is no cursor. API "
            "v2 is deprecated and stops working on 30 June 2026."
        ),
    },
    "doc-027": {
        "title": "Migrating from API v2 to v3",
        "text": (
            "Most v2 endpoints have a v3 equivalent under /v3. Replace page numbers with the cursor returned by each response, read timestamps as RFC "
            "3339 strings instead of Unix seconds, and send the token as a Bearer header."
        ),
    },
    "doc-028": {
        "title": "Scrolling large tables",
        "text": (
            "The table widget loads rows lazily as you scroll. Hover the cursor over a column header to sort or filter it, and use the pagination "
            "control at the bottom to jump to a page of 50 rows."
        ),
    },
    "doc-029": {
        "title": "Refunds for annual plans",
        "text": (
            "If you cancel an annual subscription within 14 days of the purchase or of a renewal, you get a full refund. After 14 days the plan stays "
            "active until the end of the paid year and no partial refund is issued."
        ),
    },
    "doc-030": {
        "title": "Cancelling a monthly subscription",
        "text": (
            "You can cancel a monthly plan at any time under Settings > Billing. The plan ends at the end of the current month and there is no refund "
            "for the remaining days; the workspace then moves to the Free plan."
        ),
    },
    "doc-031": {
        "title": "Switching from monthly to annual",
        "text": (
            "Switch to an annual subscription under Settings > Billing > Change cycle; yearly billing of the same plan saves 20 percent. The unused "
            "part of the current month is credited on the first annual invoice."
        ),
    },
    "doc-032": {
        "title": "Removing seats",
        "text": (
            "When you remove a member, the seat stays billed until the end of the current billing cycle and the next invoice is lower. Tallyboard does "
            "not issue prorated credits for a seat removed in the middle of the cycle."
        ),
    },
    "doc-033": {
        "title": "Adding seats in the middle of a cycle",
        "text": (
            "A seat added in the middle of the billing cycle is charged pro rata for the remaining days on the next invoice. Viewers never need a seat; "
            "only editors and admins count."
        ),
    },
    "doc-034": {
        "title": "Changing the billing cycle",
        "text": (
            "Owners can change the billing cycle from monthly to annual at any time; the change applies at the next renewal unless you choose to switch "
            "immediately. Moving from annual to monthly is only possible at the end of the paid year."
        ),
    },
    "doc-035": {
        "title": "CSV import limits",
        "text": (
            "A single CSV upload may be up to 250 MB or 5 million rows, whichever comes first. Larger files must be split or loaded through a database "
            "connector. Files must be UTF-8 encoded and have a header row."
        ),
    },
    "doc-036": {
        "title": "Images and logos",
        "text": (
            "Dashboards accept image uploads in PNG, JPEG or SVG format with a maximum file size of 5 MB. Workspace logos are resized to 256 by 256 "
            "pixels; larger logos are accepted but scaled down."
        ),
    },
    "doc-037": {
        "title": "CSV import delimiters and encoding",
        "text": (
            "The CSV import detects comma, semicolon and tab delimiters automatically and shows a preview of the first 20 rows. Files in Latin-1 must "
            "be converted to UTF-8 first, otherwise accented letters are replaced."
        ),
    },
    "doc-038": {
        "title": "Dataset row limits per plan",
        "text": (
            "A dataset may hold up to 100,000 rows on Free, 1 million on Starter, 20 million on Business and 500 million on Enterprise. Imports that "
            "would exceed the limit stop with an error and leave the dataset unchanged."
        ),
    },
    "doc-039": {
        "title": "Cookies on embedded dashboards",
        "text": (
            "Public and embedded dashboards set only one strictly necessary session cookie, so no consent banner is needed for them. If you turn on "
            "visitor analytics under Settings > Embedding, a consent banner is shown before the analytics cookie is set."
        ),
    },
    "doc-040": {
        "title": "Embedding dashboards",
        "text": (
            "Embed a dashboard with an iframe and a signed embed token that expires after one hour. List the allowed parent domains under Settings > "
            "Embedding; embedded dashboards refuse to load on other sites."
        ),
    },
    "doc-041": {
        "title": "Cookies on the Tallyboard website",
        "text": (
            "Our marketing website tallyboard.example shows a consent banner for analytics and advertising cookies. Cookie settings for the website can "
            "be changed through the link in the footer; they do not affect the app or embedded dashboards."
        ),
    },
    "doc-042": {
        "title": "Lost your second factor",
        "text": (
            "If you lost your phone, sign in with one of the ten recovery codes saved when you enabled two-factor authentication; each code works once. "
            "Without recovery codes a workspace owner can reset your two-factor authentication from the Members page, or support does it after "
            "verifying your identity."
        ),
    },
    "doc-043": {
        "title": "Enabling two-factor authentication",
        "text": (
            "Go to Profile > Security > Two-factor authentication, scan the QR code with an authenticator app and enter the six-digit code. Download "
            "the recovery codes at the end and keep them outside the phone."
        ),
    },
    "doc-044": {
        "title": "Requiring two-factor authentication",
        "text": (
            "Owners can require two-factor authentication for the whole workspace. Members without it get seven days to set it up; after that they "
            "cannot sign in until they do."
        ),
    },
    "doc-045": {
        "title": "Recovery of deleted dashboards",
        "text": (
            "A deleted or lost dashboard stays in Trash for 30 days and can be restored with its charts and comments. Sign in as an editor to restore "
            "it; after 30 days recovery is no longer possible, not even by support."
        ),
    },
    "doc-046": {
        "title": "Dashboard auto-refresh",
        "text": (
            "Dashboards can refresh automatically every 1, 5, 15 or 60 minutes. The 1-minute refresh interval needs the Business plan; on Free and "
            "Starter the minimum is 15 minutes. A refresh only queries connectors whose data has changed."
        ),
    },
    "doc-047": {
        "title": "Connector sync interval",
        "text": (
            "Data connectors sync every 6 hours by default. The minimum sync interval is 30 minutes on Business and 5 minutes on Enterprise; a manual "
            "sync can be started at any time from the connector page."
        ),
    },
    "doc-048": {
        "title": "Alert evaluation interval",
        "text": (
            "Alerts are evaluated every 5 minutes by default. The minimum interval is 1 minute on Enterprise, and an alert fires only after its "
            "condition has been true for two evaluations in a row."
        ),
    },
    "doc-049": {
        "title": "Umsatzsteuer-ID auf Rechnungen",
        "text": (
            "Tragen Sie Ihre Umsatzsteuer-ID unter Einstellungen > Abrechnung ein. Sie erscheint ab der nächsten Rechnung, und bei gültiger EU-Nummer "
            "gilt das Reverse-Charge-Verfahren. Bereits ausgestellte Rechnungen bleiben unverändert."
        ),
    },
    "doc-050": {
        "title": "Rechnungsadresse ändern",
        "text": (
            "Firmenname und Anschrift für Tallyboard ändern Sie unter Einstellungen > Abrechnung. Die neue Adresse gilt ab der nächsten Rechnung; für "
            "eine bereits bezahlte Rechnung kann der Support eine korrigierte Kopie ausstellen."
        ),
    },
    "doc-051": {
        "title": "Rechnung als PDF",
        "text": (
            "Jede Tallyboard-Rechnung steht als PDF unter Einstellungen > Abrechnung > Rechnungen bereit. Zusätzlich schickt Tallyboard die Rechnung an "
            "die hinterlegte Buchhaltungsadresse, die Sie dort auch ändern können."
        ),
    },
    "doc-052": {
        "title": "Zahlungsmethode ändern",
        "text": (
            "Kreditkarte oder SEPA-Lastschrift hinterlegen Sie unter Einstellungen > Abrechnung > Zahlungsmethode. Die neue Methode wird ab der "
            "nächsten Abbuchung verwendet; offene Beträge werden nicht erneut eingezogen."
        ),
    },
    "doc-053": {
        "title": "Member roles",
        "text": (
            "Tallyboard has four roles: Owner, Admin, Editor and Viewer. Viewers can open dashboards and comment but cannot edit them or export data. "
            "To invite someone as a viewer, go to Members > Invite, enter the email address and pick Viewer in the role menu."
        ),
    },
    "doc-054": {
        "title": "Rôles des membres",
        "text": (
            "Tallyboard connaît quatre rôles : propriétaire, administrateur, éditeur et lecteur. Un lecteur peut consulter les tableaux de bord et les "
            "commenter, mais il ne peut ni les modifier ni exporter les données."
        ),
    },
    "doc-055": {
        "title": "Inviter un membre",
        "text": (
            "Pour inviter un membre, ouvrez Membres > Inviter et saisissez son adresse e-mail. L'invitation expire après sept jours ; un administrateur "
            "peut la renvoyer depuis la liste des invitations en attente."
        ),
    },
    "doc-056": {
        "title": "Retirer un membre",
        "text": (
            "Quand vous retirez un membre, ses tableaux de bord sont transférés au propriétaire de l'espace et son rôle disparaît. Il perd l'accès "
            "immédiatement, même s'il avait une session ouverte."
        ),
    },
    "doc-057": {
        "title": "Lecteur d'écran et accessibilité",
        "text": (
            "Tallyboard fonctionne avec un lecteur d'écran comme NVDA ou VoiceOver : chaque graphique a un résumé textuel. Chaque membre peut aussi "
            "activer seulement le mode contraste élevé dans son profil."
        ),
    },
    "doc-058": {
        "title": "Dépassement du stockage",
        "text": (
            "Le plan Starter comprend 10 Go de stockage. Une fois cette limite dépassée, les nouvelles importations sont bloquées, mais les tableaux de "
            "bord existants restent accessibles. Supprimez d'anciens jeux de données ou passez au plan Business, qui offre 100 Go."
        ),
    },
    "doc-059": {
        "title": "Stockage du plan Business",
        "text": (
            "Le plan Business offre 100 Go de stockage par espace de travail, et cette limite peut être étendue par tranches de 50 Go. Le stockage "
            "utilisé est affiché dans Paramètres > Utilisation."
        ),
    },
    "doc-060": {
        "title": "Limite d'appels API du plan Starter",
        "text": (
            "Le plan Starter autorise 120 requêtes API par minute et par jeton. Au-delà de cette limite, l'API répond par une erreur 429 ; la limite "
            "n'est jamais dépassée de façon durable."
        ),
    },
    "doc-061": {
        "title": "Informes programados",
        "text": (
            "Abra un tablero, elija Compartir > Programar informe y seleccione PDF, la frecuencia diaria, semanal o mensual, la hora y los "
            "destinatarios. El informe llega por correo como archivo adjunto. Requiere el plan Starter o superior."
        ),
    },
    "doc-062": {
        "title": "Alertas por correo",
        "text": (
            "Una alerta envía un correo cuando una métrica supera un umbral, por ejemplo si las ventas bajan un 20 %. El mensaje incluye el valor y un "
            "enlace al tablero, pero no adjunta ningún informe."
        ),
    },
    "doc-063": {
        "title": "Exportar un tablero a PDF",
        "text": (
            "Para guardar un tablero como PDF una sola vez, use el menú Exportar > Descargar PDF. El informe refleja los filtros actuales; para un "
            "resumen semanal automático hay que usar otra función."
        ),
    },
    "doc-064": {
        "title": "公開リンク",
        "text": "ダッシュボードの「共有」メニューで「公開リンクを作成」を選ぶと、ログイン不要で外部の人が閲覧できます。リンクには有効期限とパスワードを設定でき、いつでも無効にできます。",
    },
    "doc-065": {
        "title": "ダッシュボードの共有（社内）",
        "text": "ダッシュボードを社内のメンバーに共有するには、「共有」から相手のメールアドレスを入力し、閲覧者または編集者の権限を選びます。",
    },
    "doc-066": {
        "title": "ダッシュボードの埋め込み",
        "text": "ダッシュボードを外部のウェブサイトに埋め込むには、署名付きトークンと iframe を使用します。許可するドメインは設定画面で登録します。",
    },
    "doc-067": {
        "title": "招待リンクの期限",
        "text": "メンバー招待のリンクは 7 日で期限切れになります。期限が切れた場合は、管理者が招待を再送する方法が最も簡単です。",
    },
    "doc-068": {
        "title": "ダッシュボードの自動更新",
        "text": "ダッシュボードは 1 分、5 分、15 分、60 分ごとに自動更新できます。1 分間隔には Business プランが必要で、Free と Starter プランでは最短 15 分です。",
    },
    "doc-069": {
        "title": "Audit log",
        "text": (
            "Business and Enterprise workspaces record sign-ins, permission changes, exports and deleted objects in the audit log. Entries are kept for "
            "one year and can be filtered by member and event type or downloaded as JSON."
        ),
    },
    "doc-070": {
        "title": "Creating API tokens",
        "text": (
            "Create a personal API token under Profile > Developer > Tokens and choose its scopes, for example dashboards:read or datasets:write. The "
            "token is shown once; it inherits the role of its owner and stops working when the owner is removed."
        ),
    },
    "doc-071": {
        "title": "PostgreSQL connector",
        "text": (
            "The PostgreSQL connector needs a read-only database user, the host, port and database name, and SSL with certificate verification. Allow "
            "the Tallyboard egress IP addresses for your region in the database firewall."
        ),
    },
    "doc-072": {
        "title": "BigQuery connector",
        "text": (
            "Connect BigQuery with a Google Cloud service account that has the BigQuery Data Viewer and Job User roles. Upload its JSON key in the "
            "connector form; queries run in your project and are billed by Google."
        ),
    },
    "doc-073": {
        "title": "Slack notifications",
        "text": (
            "Install the Tallyboard app in Slack and pick a channel for each alert. Messages show the metric, the threshold and a chart preview; a "
            "button in the message snoozes the alert for one day."
        ),
    },
    "doc-074": {
        "title": "Custom domain",
        "text": (
            "Enterprise workspaces can serve public dashboards from their own domain such as dashboards.example.com. Add a CNAME record pointing to "
            "custom.tallyboard.example; a certificate is issued automatically within an hour."
        ),
    },
    "doc-075": {
        "title": "Service level agreement",
        "text": (
            "Tallyboard commits to 99.9 percent monthly availability on Business and 99.95 percent on Enterprise. If availability falls short, the "
            "workspace owner can claim a service credit of 10 to 30 percent of the monthly fee."
        ),
    },
    "doc-076": {
        "title": "Transferring workspace ownership",
        "text": (
            "The current owner can transfer ownership under Settings > Workspace > Owner to any admin. The new owner becomes responsible for billing; "
            "the previous owner stays in the workspace as an admin."
        ),
    },
    "doc-077": {
        "title": "Deleting a workspace",
        "text": (
            "Deleting a workspace cancels its subscription, removes all members and schedules every dashboard and dataset for permanent deletion after "
            "30 days. Only the owner can do it, and it must be confirmed by typing the workspace name."
        ),
    },
    "doc-078": {
        "title": "Failed payments",
        "text": (
            "If a card payment fails, Tallyboard retries it after 3, 5 and 7 days and emails the billing contacts each time. After the last failed "
            "attempt the workspace becomes read-only until the balance is paid."
        ),
    },
    "doc-079": {
        "title": "Payment methods",
        "text": (
            "Tallyboard accepts Visa, Mastercard and American Express cards on all paid plans, SEPA direct debit in the EU, and payment by bank "
            "transfer against invoice for annual Enterprise contracts."
        ),
    },
    "doc-080": {
        "title": "Plan prices",
        "text": (
            "Starter costs 12 dollars per editor seat per month and Business 29 dollars; Enterprise is priced by contract. Annual billing saves 20 "
            "percent, and viewers are free on every plan."
        ),
    },
    "doc-081": {
        "title": "Calculated fields",
        "text": (
            "A calculated field adds a column defined by a formula, for example revenue - cost or IF(region = 'EU', amount * 1.19, amount). Calculated "
            "fields are evaluated at query time and can be reused in every chart of the dataset."
        ),
    },
    "doc-082": {
        "title": "SQL editor query timeout",
        "text": (
            "Queries in the SQL editor stop after 5 minutes on Starter and Business and after 30 minutes on Enterprise. Long queries should be turned "
            "into a scheduled dataset that refreshes in the background."
        ),
    },
    "doc-083": {
        "title": "IP allowlist",
        "text": (
            "Enterprise owners can restrict sign-ins and API calls to a list of IP ranges in CIDR notation. Requests from other addresses are refused "
            "with HTTP 403; public links and embedded dashboards are not affected."
        ),
    },
    "doc-084": {
        "title": "Session timeout",
        "text": (
            "By default members stay signed in for 14 days. Owners can shorten the idle session timeout to between 15 minutes and 24 hours under "
            "Settings > Security; the change applies at the next sign-in."
        ),
    },
    "doc-085": {
        "title": "Dashboard version history",
        "text": (
            "Every saved change to a dashboard creates a version. Editors can compare two versions side by side and restore an older one; Business "
            "keeps versions for 90 days, Enterprise for one year."
        ),
    },
    "doc-086": {
        "title": "Dashboard templates",
        "text": (
            "Start a new dashboard from a template for sales, marketing, support or finance. Templates come with example charts and placeholders that "
            "you map to your own dataset columns."
        ),
    },
    "doc-087": {
        "title": "Supprimer un espace de travail",
        "text": (
            "Seul le propriétaire peut supprimer un espace de travail. L'abonnement est résilié immédiatement et les tableaux de bord sont effacés "
            "définitivement après 30 jours."
        ),
    },
    "doc-088": {
        "title": "Cambiar el idioma de la interfaz",
        "text": (
            "Cada miembro elige el idioma de la interfaz en Perfil > Preferencias: inglés, alemán, francés, español o japonés. Los nombres de los "
            "tableros y de las columnas no se traducen."
        ),
    },
    "doc-089": {
        "title": "API トークンの作成",
        "text": "プロフィールの開発者設定から個人用 API トークンを作成し、権限の範囲を選びます。トークンは一度しか表示されないため、安全な場所に保管してください。",
    },
    "doc-090": {
        "title": "Mobile app",
        "text": (
            "The Tallyboard app for iOS and Android shows dashboards in a single column, sends push notifications for alerts and works without a "
            "connection using the last loaded data. Editing charts is only possible in the browser."
        ),
    },
    "doc-091": {
        "title": "Invoices through the API",
        "text": (
            "GET /v3/billing/invoices returns the same fields as the billing page, number, date, amounts and status, as JSON. A short script can turn "
            "the response into a spreadsheet for your accounting team."
        ),
    },
    "doc-092": {
        "title": "Renewal reminders",
        "text": (
            "Customers on yearly billing receive an email 30 days before each renewal. Turning off automatic renewal before that date avoids the next "
            "charge entirely, and there is never a cancellation fee."
        ),
    },
    "doc-093": {
        "title": "Who counts as a paid seat",
        "text": (
            "Editors and admins occupy a paid seat, viewers do not. Changing someone from editor to viewer frees the seat from the next billing period "
            "on, which is often cheaper than removing the person."
        ),
    },
    "doc-094": {
        "title": "Cookies used by the web app",
        "text": (
            "The Tallyboard web app itself only uses essential cookies for sign-in, security and load balancing. They are listed with their lifetime in "
            "the privacy notice and need no consent under EU rules."
        ),
    },
    "doc-095": {
        "title": "Reverse-Charge bei Tallyboard",
        "text": (
            "Unternehmen aus anderen EU-Ländern erhalten Tallyboard-Rechnungen ohne Umsatzsteuer, sobald eine gültige Umsatzsteuer-ID hinterlegt und "
            "geprüft ist. Fehlt die Nummer, wird die Steuer des Heimatlandes berechnet."
        ),
    },
    "doc-096": {
        "title": "Voir l'espace utilisé",
        "text": (
            "Paramètres > Utilisation affiche l'espace occupé par chaque jeu de données, du plus gros au plus petit. Cette vue aide à choisir ce qu'il "
            "faut supprimer avant d'atteindre le plafond de votre formule."
        ),
    },
    "doc-097": {
        "title": "Destinatarios externos",
        "text": (
            "Los informes programados pueden enviarse a direcciones de fuera del espacio de trabajo. El PDF adjunto muestra los datos con los permisos "
            "de la persona que creó la programación, así que revise los filtros."
        ),
    },
    "doc-098": {
        "title": "Guest access for contractors",
        "text": (
            "Invite a contractor as a guest to give them access to a single project. Guests pay nothing extra but need a Tallyboard account, and they "
            "cannot look at dashboards outside the project they were invited to."
        ),
    },
    "fin-001": {
        "title": "Apple stock splits",
        "text": (
            "Apple Inc. has split its stock five times, most recently 4-for-1 in August 2020 and 7-for-1 in June 2014. After a split each share is "
            "worth proportionally less: a price of 500 dollars before the 4-for-1 split became about 125 dollars, while the company's market value "
            "stayed the same."
        ),
    },
    "fin-002": {
        "title": "Reverse stock split",
        "text": (
            "In a 1-for-10 reverse split, every ten shares become one and the stock price per share rises tenfold. Companies usually do it to stay "
            "above an exchange's minimum bid price, and markets often read it as a sign of weakness."
        ),
    },
    "fin-003": {
        "title": "How a stock split changes the price",
        "text": (
            "A 2-for-1 split doubles the number of shares and halves the price of each one, so a holder of 10 shares at 300 owns 20 shares at 150 after "
            "the split. No value is created; the split only makes single shares cheaper to buy."
        ),
    },
    "fin-004": {
        "title": "Overdraft fees",
        "text": (
            "When a payment takes your current account below zero, the bank charges interest on the overdrawn amount, and some banks add a fixed daily "
            "fee. An arranged overdraft is usually cheaper than an unarranged one, and many banks now cap the monthly overdraft charges."
        ),
    },
    "fin-005": {
        "title": "Bank charges abroad",
        "text": (
            "Paying by card in a foreign currency often costs a foreign transaction fee of around 3 percent, and cash withdrawals add a fixed charge. "
            "Some banks waive these charges on premium accounts; check the tariff before going abroad."
        ),
    },
    "fin-006": {
        "title": "Credit card limit",
        "text": (
            "A credit card has a credit limit rather than an overdraft. Going over the limit can trigger a charge or a declined payment, and interest "
            "applies to any balance not repaid in full by the due date."
        ),
    },
    "fin-007": {
        "title": "401(k) limits for 2024",
        "text": (
            "In 2024 employees can defer up to 23,000 dollars of salary into a 401(k). Those aged 50 or older may add a catch-up contribution of 7,500 "
            "dollars, for 30,500 in total. Employer matching does not count toward the employee contribution limit."
        ),
    },
    "fin-008": {
        "title": "401(k) limits for 2023",
        "text": (
            "In 2023 employees can defer up to 22,500 dollars of salary into a 401(k). Those aged 50 or older may add a catch-up contribution of 7,500 "
            "dollars, for 30,000 in total. Employer matching does not count toward the employee contribution limit."
        ),
    },
    "fin-009": {
        "title": "401(k) limits for 2025",
        "text": (
            "In 2025 employees can defer up to 23,500 dollars of salary into a 401(k). Those aged 50 or older may add a catch-up contribution of 7,500 "
            "dollars, and those aged 60 to 63 a higher catch-up of 11,250 dollars under the contribution limit rules."
        ),
    },
    "fin-010": {
        "title": "IRA contribution limit 2024",
        "text": (
            "For 2024 the IRA contribution limit is 7,000 dollars, plus a 1,000 dollar catch-up for people aged 50 or older. The limit is shared "
            "between traditional and Roth IRAs and is separate from any 401(k) plan."
        ),
    },
    "fin-011": {
        "title": "Accounts payable vs accounts receivable",
        "text": (
            "Accounts payable are amounts your company owes suppliers for goods or services already received, recorded as a current liability. Accounts "
            "receivable are amounts customers owe you for sales on credit, recorded as a current asset."
        ),
    },
    "fin-012": {
        "title": "Accounts receivable turnover",
        "text": (
            "Accounts receivable turnover is net credit sales divided by average accounts receivable; a high ratio means customers pay quickly. Days "
            "sales outstanding is 365 divided by the turnover."
        ),
    },
    "fin-013": {
        "title": "Accounts payable automation",
        "text": (
            "Accounts payable teams use three-way matching: the purchase order, the goods receipt and the supplier invoice must agree before a payment "
            "is released. Automation flags mismatches and duplicate invoices."
        ),
    },
    "fin-014": {
        "title": "Balance sheet equation",
        "text": (
            "Assets always equal liabilities plus equity. Every transaction changes at least two accounts so that the equation still holds; buying a "
            "machine on credit raises both assets and liabilities by the same amount."
        ),
    },
    "fin-015": {
        "title": "Non-deductible business costs",
        "text": (
            "Some business costs are not tax deductible even when they relate to the business: fines and penalties paid to a government, political "
            "contributions, commuting between home and the regular workplace, and entertainment such as sports tickets for clients."
        ),
    },
    "fin-016": {
        "title": "Deductible business expenses",
        "text": (
            "Deductible business expenses are ordinary and necessary costs such as rent for business premises, employee wages, software subscriptions, "
            "business insurance and half of the cost of business meals; they reduce taxable profit."
        ),
    },
    "fin-017": {
        "title": "Home office deduction",
        "text": (
            "Self-employed people who use part of their home regularly and exclusively for business can deduct a share of home expenses such as rent, "
            "utilities and insurance, or use a simplified rate per square foot."
        ),
    },
    "fin-018": {
        "title": "Capital expenditures are not expensed at once",
        "text": (
            "Equipment, vehicles and buildings are not deducted in full in the year of purchase; their cost is depreciated over the useful life "
            "instead. Only small items or assets covered by special expensing rules can be written off immediately."
        ),
    },
    "fin-019": {
        "title": "EBITDA",
        "text": (
            "EBITDA means earnings before interest, taxes, depreciation and amortization. Start from net income and add back interest expense, income "
            "tax, depreciation and amortization, or take operating profit and add depreciation and amortization. It approximates operating cash "
            "generation but ignores capital spending."
        ),
    },
    "fin-020": {
        "title": "EBITDA margin",
        "text": (
            "EBITDA margin is EBITDA divided by revenue. It allows comparing the operating profitability of companies of different size in the same "
            "industry, but it flatters capital-intensive businesses."
        ),
    },
    "fin-021": {
        "title": "EBIT vs operating income",
        "text": (
            "EBIT is earnings before interest and taxes and is calculated from net income by adding back interest and tax expense. Unlike EBITDA it "
            "keeps depreciation, so it reflects the cost of using up assets."
        ),
    },
    "fin-022": {
        "title": "Net debt to EBITDA",
        "text": (
            "The leverage ratio net debt to EBITDA is calculated as total borrowings minus cash, divided by EBITDA of the last twelve months. Lenders "
            "often set covenants that keep it below 3 or 4."
        ),
    },
    "fin-023": {
        "title": "Operating cash flow vs net income",
        "text": (
            "Net income can be positive while cash runs out, because revenue is recognised when earned, not when paid. The cash flow statement starts "
            "from net income and adjusts for non-cash items and changes in working capital."
        ),
    },
    "fin-024": {
        "title": "Ermäßigter Umsatzsteuersatz",
        "text": (
            "In Deutschland gilt für die meisten Lebensmittel, für Bücher und Zeitungen, den Nahverkehr und Hotelübernachtungen der ermäßigte "
            "Steuersatz von 7 Prozent. Der Regelsatz beträgt 19 Prozent; Getränke im Restaurant kosten immer 19 Prozent."
        ),
    },
    "fin-025": {
        "title": "VAT rates in Germany",
        "text": (
            "Germany has a standard VAT rate of 19 percent and a reduced rate of 7 percent. Prices shown to consumers must include VAT, while invoices "
            "between businesses show the net amount and the tax separately."
        ),
    },
    "fin-026": {
        "title": "Reduced VAT rates in France",
        "text": (
            "France applies a reduced rate of 10 percent to restaurants and some renovation work, 5.5 percent to most food goods and books, and 2.1 "
            "percent to medicines reimbursed by social security. The standard rate is 20 percent."
        ),
    },
    "fin-027": {
        "title": "German corporate tax rate",
        "text": (
            "A German company pays corporation tax at a rate of 15 percent plus a solidarity surcharge of 5.5 percent of that tax, and municipal trade "
            "tax of roughly 14 percent, for a combined rate near 30 percent."
        ),
    },
    "fin-028": {
        "title": "Net 30 payment terms",
        "text": (
            "Net 30 means the buyer must pay the full invoice amount within 30 days of the invoice date. The variant 2/10 net 30 adds an early payment "
            "discount: 2 percent off if paid within 10 days, otherwise the full amount is due on day 30."
        ),
    },
    "fin-029": {
        "title": "Invoice numbering",
        "text": (
            "Every invoice needs a unique sequential number, and gaps must be explainable in an audit. Also state the issue date, the supplier and "
            "customer details, a description of the goods or services and the tax amount."
        ),
    },
    "fin-030": {
        "title": "Late payment interest in the EU",
        "text": (
            "Under EU rules a business that pays an invoice late owes statutory interest of 8 percentage points above the central bank reference rate "
            "once the agreed payment terms have passed, plus a fixed 40 euro recovery fee."
        ),
    },
    "fin-031": {
        "title": "Purchase order vs invoice",
        "text": (
            "A purchase order is sent by the buyer before delivery and states what it intends to buy at which price. The invoice is sent by the seller "
            "afterwards and requests payment; matching the two prevents paying for goods never ordered."
        ),
    },
    "fin-032": {
        "title": "Why bond prices fall when rates rise",
        "text": (
            "A bond pays fixed coupons, so when market interest rates rise, new bonds pay more and existing bonds must trade at a lower price to offer "
            "the same yield. The longer the duration, the larger the price drop for a given rise in rates."
        ),
    },
    "fin-033": {
        "title": "Central bank rates and mortgages",
        "text": (
            "When the central bank raises its policy interest rates, variable mortgage rates rise within weeks, while fixed rates follow the "
            "expectations priced into longer-term markets. Borrowers on variable rates feel the change first."
        ),
    },
    "fin-034": {
        "title": "House prices and interest rates",
        "text": (
            "Higher interest rates reduce how much buyers can borrow, so houses may lose value or stagnate when rates rise quickly. Local supply, "
            "incomes and migration matter as much as the rates themselves."
        ),
    },
    "fin-035": {
        "title": "Price-to-earnings ratio",
        "text": (
            "The P/E ratio is the share price divided by earnings per share. A high P/E means investors pay more for each unit of profit, often because "
            "they expect growth; a low P/E can signal a cheap stock or weak prospects. Compare it only within one industry."
        ),
    },
    "fin-036": {
        "title": "Price-to-book ratio",
        "text": (
            "The price-to-book ratio divides the share price by the book value per share. A ratio below 1 means the market values the company at less "
            "than its accounting net assets, which is common for banks in a crisis."
        ),
    },
    "fin-037": {
        "title": "Earnings per share",
        "text": (
            "Earnings per share is net income minus preferred dividends divided by the weighted number of shares; diluted EPS also counts options and "
            "convertibles. The dividend payout ratio divides dividends by these earnings."
        ),
    },
    "fin-038": {
        "title": "Domestic wire cut-off at Northmere Bank",
        "text": (
            "Domestic wires submitted in Northmere online banking before 17:00 Eastern time are sent the same business day; requests after the cut-off "
            "or on weekends go out on the next business day. A domestic wire transfer costs 25 dollars."
        ),
    },
    "fin-039": {
        "title": "International wire cut-off at Northmere Bank",
        "text": (
            "International wires submitted in Northmere online banking before 15:00 Eastern time are sent the same business day; requests after the "
            "cut-off go out on the next business day. An international wire transfer costs 45 dollars."
        ),
    },
    "fin-040": {
        "title": "ACH transfers at Northmere Bank",
        "text": (
            "A standard ACH transfer at Northmere takes one to three business days. Same-day ACH is available for amounts up to 100,000 dollars if "
            "submitted before 14:00 Eastern time, and costs 3 dollars."
        ),
    },
    "fin-041": {
        "title": "Computer sofort abschreiben",
        "text": (
            "Seit 2021 darf Computer-Hardware wie ein Laptop samt Software steuerlich mit einer Nutzungsdauer von einem Jahr angesetzt werden. Damit "
            "wird der Laptop im Jahr der Anschaffung vollständig abgeschrieben, unabhängig vom Kaufpreis."
        ),
    },
    "fin-042": {
        "title": "Abschreibung eines Firmenwagens",
        "text": (
            "Ein Pkw hat laut amtlicher AfA-Tabelle eine Nutzungsdauer von sechs Jahren. Die Abschreibung erfolgt linear, also jedes Jahr ein Sechstel "
            "der Anschaffungskosten; steuerlich zählt der Monat der Anschaffung."
        ),
    },
    "fin-043": {
        "title": "Geringwertige Wirtschaftsgüter",
        "text": (
            "Bewegliche Wirtschaftsgüter bis 800 Euro netto können steuerlich im Jahr der Anschaffung sofort abgeschrieben werden, statt über die "
            "Nutzungsdauer verteilt. Die Abschreibung gilt für jedes einzelne, selbständig nutzbare Gerät."
        ),
    },
    "fin-044": {
        "title": "Firmenlaptop privat nutzen",
        "text": (
            "Wer einen Laptop des Arbeitgebers auch privat nutzt, muss dafür steuerlich nichts zahlen: Die private Nutzung betrieblicher Computer ist "
            "für Arbeitnehmer steuerfrei, auch das Zubehör und die Software."
        ),
    },
    "fin-045": {
        "title": "Accumulating vs distributing ETFs",
        "text": (
            "A distributing ETF pays the dividends it receives out to its investors, usually every quarter. An accumulating ETF reinvests them inside "
            "the fund, so the share price grows instead. The tax treatment of the two kinds differs by country."
        ),
    },
    "fin-046": {
        "title": "ETF capitalisant",
        "text": (
            "Dans un ETF capitalisant, les dividendes encaissés par le fonds sont réinvestis automatiquement, ce qui évite à l'investisseur de le faire "
            "lui-même et de payer des frais d'achat."
        ),
    },
    "fin-047": {
        "title": "Dividendes d'actions françaises",
        "text": (
            "Les dividendes d'actions françaises détenues sur un compte-titres subissent le prélèvement forfaitaire unique de 30 %. La différence avec "
            "un PEA est nette : dans le PEA, les dividendes sont exonérés d'impôt après cinq ans."
        ),
    },
    "fin-048": {
        "title": "Frais d'un ETF",
        "text": (
            "Les frais courants d'un ETF, le TER, sont prélevés chaque jour sur l'actif du fonds. Le choix entre capitalisant et distribuant ne fait "
            "presque aucune différence sur ces frais, qui vont de 0,05 % à 0,5 % par an."
        ),
    },
    "fin-049": {
        "title": "Calcular el IVA de una factura",
        "text": (
            "Multiplique la base imponible por el tipo aplicable; en España el tipo general es el 21 %, el reducido el 10 % y el superreducido el 4 %. "
            "Por ejemplo, una factura con una base de 200 euros al 21 % lleva 42 euros de IVA, con un total de 242 euros."
        ),
    },
    "fin-050": {
        "title": "Factura rectificativa",
        "text": (
            "Si una factura tiene un error, en España no se modifica ni se anula sin más: se emite una factura rectificativa que corrige la original y "
            "hace referencia a su número y fecha."
        ),
    },
    "fin-051": {
        "title": "Retención de IRPF en la factura",
        "text": (
            "Un autónomo profesional debe calcular la retención de IRPF en cada factura a otra empresa: el 15 % de la base imponible, o el 7 % durante "
            "el año de inicio y los dos siguientes."
        ),
    },
    "fin-052": {
        "title": "Compound interest",
        "text": (
            "With compound interest, the interest earned is added to the principal, so later periods earn interest on interest. 1,000 at 5 percent a "
            "year grows to 1,050 after one year and to about 1,629 after ten years, compared with 1,500 under simple interest."
        ),
    },
    "fin-053": {
        "title": "Interés compuesto",
        "text": (
            "En el interés compuesto, los intereses de cada periodo se suman al capital y generan a su vez nuevos intereses. Cuanto más largo es el "
            "plazo, mayor es la diferencia frente al interés simple."
        ),
    },
    "fin-054": {
        "title": "Interés simple",
        "text": (
            "En el interés simple, los intereses se calculan siempre sobre el capital inicial. Por ejemplo, 1.000 euros al 5 % anual durante tres años "
            "generan 150 euros de intereses, 50 euros cada año."
        ),
    },
    "fin-055": {
        "title": "Tipo de interés de una hipoteca",
        "text": (
            "Una hipoteca puede tener un tipo de interés fijo, variable o mixto. En una hipoteca variable, por ejemplo, el interés es el Euríbor más un "
            "diferencial del 1 % y se revisa cada seis o doce meses."
        ),
    },
    "fin-056": {
        "title": "確定申告の期限",
        "text": "個人事業主の所得税の確定申告は、原則として翌年の 2 月 16 日から 3 月 15 日までに行います。期限が土日祝日にあたる場合は、その翌平日が期限になります。",
    },
    "fin-057": {
        "title": "消費税の確定申告",
        "text": "消費税の課税事業者である個人事業主は、消費税の確定申告も必要です。期限は所得税より遅く、翌年の 3 月 31 日です。",
    },
    "fin-058": {
        "title": "青色申告特別控除",
        "text": "個人事業主が青色申告で 65 万円の特別控除を受けるには、期限までに e-Tax で申告するか、帳簿を電子保存する必要があります。",
    },
    "fin-059": {
        "title": "会社員の確定申告",
        "text": "会社員は年末調整で手続きが終わりますが、医療費控除を受ける場合は確定申告が必要です。還付のための申告は、期限のあとも 5 年間できます。",
    },
    "fin-060": {
        "title": "新しい NISA（2024 年から）",
        "text": "2024 年からの新しい NISA では、つみたて投資枠 120 万円と成長投資枠 240 万円を合わせて、年間投資枠は 360 万円です。生涯の非課税保有限度額は 1,800 万円です。",
    },
    "fin-061": {
        "title": "旧 NISA（2023 年まで）",
        "text": "2023 年までの旧制度では、一般 NISA の年間投資枠は 120 万円、つみたて NISA は 40 万円で、両方を同じ年に使うことはできませんでした。",
    },
    "fin-062": {
        "title": "iDeCo の掛金",
        "text": "iDeCo の掛金の上限は働き方によって異なり、会社員は月 1 万 2 千円から 2 万 3 千円です。NISA の年間投資枠とは別に使えます。",
    },
    "fin-063": {
        "title": "Flood insurance and your mortgage",
        "text": (
            "If a home lies in a river flood zone, the bank that holds the mortgage usually requires flood insurance before it releases the loan. "
            "Standard home insurance policies often exclude flood damage entirely."
        ),
    },
    "fin-064": {
        "title": "Net interest margin erosion",
        "text": (
            "When central bank rates fall, a bank cannot cut deposit rates much below zero, so the gap between what it earns on loans and pays on "
            "deposits narrows. Analysts call this erosion of the net interest margin."
        ),
    },
    "fin-065": {
        "title": "Emergency fund",
        "text": (
            "Keep three to six months of essential expenses in an instantly accessible savings account before investing. Self-employed people and "
            "single-income households should aim for the upper end of that range."
        ),
    },
    "fin-066": {
        "title": "The 50/30/20 budget",
        "text": (
            "The 50/30/20 rule splits take-home pay into 50 percent for needs such as rent and groceries, 30 percent for wants, and 20 percent for "
            "saving and paying down debt. Adjust the shares if housing alone takes more than half."
        ),
    },
    "fin-067": {
        "title": "Credit score factors",
        "text": (
            "A FICO score weighs payment history at about 35 percent, amounts owed at 30 percent, length of credit history at 15 percent, and new "
            "credit and credit mix at 10 percent each. Paying every bill on time matters most."
        ),
    },
    "fin-068": {
        "title": "Index fund costs",
        "text": (
            "An index fund tracks a market index instead of picking stocks, which keeps its expense ratio low, often below 0.2 percent a year. Over "
            "decades, a difference of one percentage point in costs compounds into a large gap in wealth."
        ),
    },
    "fin-069": {
        "title": "Dollar-cost averaging",
        "text": (
            "Dollar-cost averaging means investing a fixed amount at regular intervals regardless of the market level. It buys more units when prices "
            "are low and fewer when they are high, and it removes the temptation to time the market."
        ),
    },
    "fin-070": {
        "title": "Inflation and the consumer price index",
        "text": (
            "The consumer price index measures the price of a fixed basket of goods and services. Inflation is its change over twelve months; most "
            "central banks aim for about 2 percent a year."
        ),
    },
    "fin-071": {
        "title": "Working capital",
        "text": (
            "Working capital is current assets minus current liabilities. A positive figure means the company can cover its short-term obligations; too "
            "much of it ties up cash in inventory that could be used elsewhere."
        ),
    },
    "fin-072": {
        "title": "Accrual vs cash accounting",
        "text": (
            "Under accrual accounting, revenue and costs are recorded when they are earned or incurred; under cash accounting, only when money moves. "
            "Larger companies must use accruals, while many small businesses may choose cash accounting."
        ),
    },
    "fin-073": {
        "title": "Straight-line depreciation",
        "text": (
            "Straight-line depreciation spreads the cost of an asset evenly over its useful life. A machine bought for 10,000 with no residual value "
            "and a five-year life is depreciated by 2,000 each year."
        ),
    },
    "fin-074": {
        "title": "Goodwill",
        "text": (
            "Goodwill arises when a company buys another for more than the fair value of its identifiable net assets. It is not amortized under IFRS "
            "but tested for impairment every year."
        ),
    },
    "fin-075": {
        "title": "Dividend yield",
        "text": (
            "Dividend yield is the annual dividend per share divided by the share price. A yield that looks unusually high often means the price has "
            "fallen because investors expect the dividend to be cut."
        ),
    },
    "fin-076": {
        "title": "Treasury bills",
        "text": (
            "Treasury bills are short-term government debt with maturities of up to one year. They pay no coupon; they are sold at a discount and "
            "redeemed at face value, and the difference is the investor's return."
        ),
    },
    "fin-077": {
        "title": "Limit and market orders",
        "text": (
            "A market order executes immediately at the best available price, which may be worse than the last quote in a fast market. A limit order "
            "executes only at the limit price or better and may not execute at all."
        ),
    },
    "fin-078": {
        "title": "Short selling",
        "text": (
            "A short seller borrows shares, sells them and hopes to buy them back cheaper later. The loss is unlimited in theory because the price can "
            "keep rising, and the lender can recall the shares at any time."
        ),
    },
    "fin-079": {
        "title": "Call and put options",
        "text": (
            "A call option gives the right to buy an asset at the strike price until expiry, a put option the right to sell. The buyer pays a premium "
            "and can lose at most that premium; the seller takes on the obligation."
        ),
    },
    "fin-080": {
        "title": "Long-term capital gains in the US",
        "text": (
            "In the United States, gains on assets held for more than one year are taxed at 0, 15 or 20 percent depending on income. Gains on assets "
            "held for one year or less are taxed as ordinary income."
        ),
    },
    "fin-081": {
        "title": "Roth vs traditional IRA",
        "text": (
            "Contributions to a traditional IRA may be deductible now, and withdrawals are taxed later. Roth IRA contributions are made from taxed "
            "income, and qualified withdrawals in retirement are tax free."
        ),
    },
    "fin-082": {
        "title": "Mortgage amortization",
        "text": (
            "With an amortizing mortgage each monthly payment stays the same, but the share of interest falls and the share of principal rises over "
            "time. An extra payment early in the term saves the most interest."
        ),
    },
    "fin-083": {
        "title": "Credit card grace period",
        "text": (
            "If the full statement balance is paid by the due date, most cards charge no interest on purchases made during the billing period. Carrying "
            "any balance usually ends the grace period until the card is paid off in full."
        ),
    },
    "fin-084": {
        "title": "Invoice factoring",
        "text": (
            "In invoice factoring a company sells its unpaid customer invoices to a factor, which pays most of their value at once and collects the "
            "money later. It speeds up cash flow but costs a fee of a few percent."
        ),
    },
    "fin-085": {
        "title": "Reverse charge in the EU",
        "text": (
            "For many services between businesses in different EU countries, the supplier invoices without VAT and the customer accounts for the VAT in "
            "its own return. The invoice must mention reverse charge and both VAT numbers."
        ),
    },
    "fin-086": {
        "title": "Double-entry bookkeeping",
        "text": (
            "In double-entry bookkeeping every transaction is recorded as a debit in one account and a credit in another of equal amount. A trial "
            "balance then checks that total debits equal total credits."
        ),
    },
    "fin-087": {
        "title": "Kleinunternehmerregelung",
        "text": (
            "Seit 2025 gilt: Wer im Vorjahr höchstens 25.000 Euro und im laufenden Jahr höchstens 100.000 Euro Umsatz hat, kann als Kleinunternehmer "
            "auf den Ausweis der Umsatzsteuer verzichten, darf aber keine Vorsteuer abziehen."
        ),
    },
    "fin-088": {
        "title": "Livret A",
        "text": (
            "Le Livret A est un compte d'épargne réglementé dont le plafond est de 22 950 euros. Les intérêts sont exonérés d'impôt et de prélèvements "
            "sociaux, et l'argent reste disponible à tout moment."
        ),
    },
    "fin-089": {
        "title": "Plan de pensiones",
        "text": (
            "Las aportaciones individuales a un plan de pensiones están limitadas a 1.500 euros al año y reducen la base imponible del IRPF. El dinero "
            "solo se puede rescatar en casos como la jubilación o el desempleo de larga duración."
        ),
    },
    "fin-090": {
        "title": "円安と輸入物価",
        "text": "円安になると、同じ量の輸入品を買うために多くの円が必要になり、エネルギーや食料品の価格が上がりやすくなります。一方で、輸出企業の利益は増える傾向があります。",
    },
    "fin-091": {
        "title": "Spending more than you have",
        "text": (
            "If you spend more than is in your current account without an agreed limit, payments may be refused and the provider can add a "
            "returned-item fee of a few pounds for each one."
        ),
    },
    "fin-092": {
        "title": "Annual caps on elective deferrals",
        "text": (
            "Elective deferrals to a workplace retirement plan are capped by the IRS every year, and the cap is adjusted for inflation, usually "
            "announced in November for the following year."
        ),
    },
    "fin-093": {
        "title": "Creditors and debtors",
        "text": (
            "In British usage, trade creditors are the suppliers you still have to pay and trade debtors are the customers who still have to pay you. "
            "The first is a liability on the balance sheet, the second an asset."
        ),
    },
    "fin-094": {
        "title": "Payment terms on an invoice",
        "text": (
            "Payment terms tell the customer how long they have to pay: due on receipt, end of month, or a number of days such as 14, 30 or 60 after "
            "the invoice date. Agree them before the first delivery."
        ),
    },
    "fin-095": {
        "title": "Bond duration",
        "text": (
            "Duration measures how sensitive a bond is to a change in yields: a duration of 7 means a price loss of roughly 7 percent for a one "
            "percentage point rise in market rates. Short bonds are hit far less."
        ),
    },
    "fin-096": {
        "title": "Comparing valuation multiples",
        "text": (
            "A valuation multiple is only meaningful against peers: a utility and a software company have very different typical multiples because "
            "investors expect very different growth from them."
        ),
    },
    "fin-097": {
        "title": "Northmere payment processing",
        "text": (
            "Northmere processes payments entered on a business day that same day if they are approved before the cut-off for their payment type. The "
            "app lists every cut-off time and shows a warning when a request will be late."
        ),
    },
    "fin-098": {
        "title": "Tipos de IVA en España",
        "text": (
            "En España el IVA general es del 21 %. El reducido del 10 % se aplica a la hostelería y al transporte de viajeros, y el superreducido del 4 "
            "% al pan, la leche y los libros."
        ),
    },
    "fin-099": {
        "title": "NISA の二つの枠",
        "text": "つみたて投資枠では金融庁の基準を満たす投資信託だけを購入でき、成長投資枠では上場株式や幅広い投資信託も買えます。二つの枠は同じ年に併用できます。",
    },
    "fin-100": {
        "title": "Petty cash",
        "text": (
            "Small offices keep a petty cash box for minor costs such as postage, parking or coffee. Keep every receipt, top the box up to a fixed "
            "amount each month and record the total as an expense."
        ),
    },
    "fin-101": {
        "title": "Unexpected costs in a project budget",
        "text": (
            "A project budget should keep a contingency of 5 to 10 percent for unexpected costs, held by the sponsor and released only through change "
            "control. Cash is committed phase by phase."
        ),
    },
    "fin-102": {
        "title": "Lump sum versus staged investing",
        "text": (
            "Because markets rise more often than they fall, investing a lump sum at once has beaten staged investing in most historical periods. "
            "Spreading purchases out mainly reduces regret if prices drop right after you buy."
        ),
    },
    "fin-103": {
        "title": "Repaying a loan at once",
        "text": (
            "Repaying a mortgage with a lump sum at once can trigger an early repayment charge of 1 to 5 percent in the fixed-rate period. Many lenders "
            "allow overpayments of 10 percent of the balance per year free of charge."
        ),
    },
    "fin-104": {
        "title": "Costs of a monthly savings plan",
        "text": (
            "A monthly savings plan at a broker may cost a flat fee per execution, and on small amounts the bid-ask spread can matter more than the "
            "fee. Compare both before choosing an ETF for the plan."
        ),
    },
    "gen-001": {
        "title": "Ball python care",
        "text": (
            "An adult ball python needs an enclosure of about 120 by 60 cm, a warm side near 32 degrees Celsius and humidity of 55 to 60 percent. Check "
            "the water bowl daily for a leak, since a soaked substrate causes scale rot. A python can fast for weeks in winter without harm."
        ),
    },
    "gen-002": {
        "title": "Stuck shed in snakes",
        "text": (
            "When a ball python sheds in patches or keeps its eye caps, the humidity is usually too low. Raise it to 60 or 70 percent during the shed, "
            "add a humid hide with damp moss and let the snake soak in lukewarm water. Never pull retained skin off by force."
        ),
    },
    "gen-003": {
        "title": "Baking cookies",
        "text": (
            "Oven settings matter more than the recipe when baking a cookie. Bake at 180 degrees with the fan off, on the middle rack, and take the "
            "tray out while the centre still looks soft; the cookie firms up on the tray as it cools."
        ),
    },
    "gen-004": {
        "title": "Apples in stock this week",
        "text": (
            "Our farm shop has Braeburn and Gala apples in stock this week at a price of 2.40 per kilo. A split crate of apple seconds for juice or "
            "sauce costs 8.00, and a bag of apple chips is back in stock after the summer."
        ),
    },
    "gen-005": {
        "title": "River bank erosion",
        "text": (
            "When a flood charges down the valley, the fast current undercuts the outer bank of each bend of the river and whole sections of the bank "
            "collapse. Willow roots and stone revetments hold the bank in place; going near an undercut bank after heavy rain is dangerous."
        ),
    },
    "gen-006": {
        "title": "After a flood",
        "text": (
            "When a river flood recedes it leaves silt on the fields and debris in the hedges. Footpaths along the bank may be washed out, and fallen "
            "trees change the current for years, so check the bank before walking close to the water."
        ),
    },
    "gen-007": {
        "title": "Cooking pasta",
        "text": (
            "Use about one litre of water and ten grams of salt per 100 grams of pasta. Stir during the first minute so the pieces do not stick, taste "
            "a minute before the time on the packet, and keep a cup of the cooking water for the sauce."
        ),
    },
    "gen-008": {
        "title": "Bicycle tyre pressure",
        "text": (
            "Road tyres usually run at 5 to 7 bar and mountain bike tyres at 1.5 to 2.5 bar, depending on rider weight and tyre width. Lower pressure "
            "gives more grip and comfort, higher pressure less rolling resistance on smooth roads."
        ),
    },
    "gen-009": {
        "title": "Watering houseplants",
        "text": (
            "Most houseplants die from too much water rather than too little. Push a finger into the soil and water only when the top few centimetres "
            "are dry, then water thoroughly until it drains; empty the saucer after half an hour."
        ),
    },
    "gen-010": {
        "title": "Brewing filter coffee",
        "text": (
            "A good starting ratio for filter coffee is 60 grams of medium ground coffee per litre of water just off the boil, around 94 degrees. Bloom "
            "the grounds with a little water for 30 seconds before pouring the rest slowly."
        ),
    },
    "gen-011": {
        "title": "Wandern im Herbst",
        "text": (
            "Im Herbst wird es früh dunkel: Planen Sie Wanderungen so, dass Sie vor Sonnenuntergang zurück sind, und nehmen Sie eine Stirnlampe mit. "
            "Nasses Laub auf Steinen ist rutschig, feste Schuhe mit gutem Profil sind Pflicht."
        ),
    },
    "gen-012": {
        "title": "Recette de la pâte à crêpes",
        "text": (
            "Mélangez 250 g de farine, quatre œufs et une pincée de sel, puis ajoutez peu à peu un demi-litre de lait en fouettant. Laissez reposer la "
            "pâte une heure avant de cuire les crêpes dans une poêle bien chaude."
        ),
    },
    "gen-013": {
        "title": "Cómo cuidar un huerto urbano",
        "text": (
            "Un huerto en el balcón necesita al menos seis horas de sol al día. Use macetas de 30 centímetros de profundidad para tomates y pimientos, "
            "riegue temprano por la mañana y añada compost una vez al mes."
        ),
    },
    "gen-014": {
        "title": "桜の開花",
        "text": "桜の開花は、2 月以降の気温の積み重ねで決まります。東京では例年 3 月下旬に咲き始め、満開までは約 1 週間です。",
    },
}

# query id -> text
QUERIES = {
    "q-it-01": "why are my pods not scheduled and stuck in Pending",
    "q-it-02": "python memory leak in a long running service",
    "q-it-03": "which API versions were removed in Kubernetes 1.29",
    "q-it-04": "TLS 1.3 cipher suites list",
    "q-it-05": "check certificate expiry date with openssl",
    "q-it-06": "rotate OpenShift default ingress certificate",
    "q-it-07": "postgres max_connections default value",
    "q-it-08": "runbook node disk pressure kubelet evicting pods",
    "q-it-09": "linux find which process is listening on port 8080",
    "q-it-10": "DNS resolution fails inside a pod but works on the node",
    "q-it-11": "nginx 502 bad gateway upstream",
    "q-it-12": "increase PersistentVolumeClaim size without downtime",
    "q-it-13": "redis maxmemory eviction policy allkeys-lru vs volatile-lru",
    "q-it-14": "Zertifikat läuft ab – wie erneuere ich es mit certbot?",
    "q-it-15": "Pod startet immer wieder neu, CrashLoopBackOff Ursache finden",
    "q-it-16": "augmenter la limite mémoire d'un conteneur OpenShift OOMKilled",
    "q-it-17": "cómo hacer backup de una base de datos PostgreSQL con pg_dump",
    "q-it-18": "Secret を base64 ではなく暗号化して保存する方法",
    "q-it-19": "systemd unit keeps restarting in a loop, how to limit the restarts",
    "q-it-20": "web server answers slowly only for big responses, small pings are fine",
    "q-doc-01": "Tallyboard API rate limit on the Business plan",
    "q-doc-02": "which features are not included in the Free plan",
    "q-doc-03": "export invoices as CSV",
    "q-doc-04": "how to enable SAML single sign-on with Okta",
    "q-doc-05": "change data region from US to EU",
    "q-doc-06": "how do I know a webhook call really came from Tallyboard",
    "q-doc-07": "API v3 pagination cursor",
    "q-doc-08": "money back if I cancel the yearly plan after one week?",
    "q-doc-09": "removed a member mid-month, am I still charged for the seat?",
    "q-doc-10": "maximum file upload size for CSV import",
    "q-doc-11": "cookie settings and consent banner for embedded dashboards",
    "q-doc-12": "lost my phone and can't sign in, two-factor codes",
    "q-doc-13": "minimum auto refresh interval for dashboards",
    "q-doc-14": "Tallyboard Rechnung: Umsatzsteuer-ID hinzufügen",
    "q-doc-15": "inviter un membre avec le rôle lecteur seulement",
    "q-doc-16": "limite de stockage du plan Starter dépassée",
    "q-doc-17": "cómo programar un informe PDF semanal por correo",
    "q-doc-18": "ダッシュボードを共有リンクで外部に公開する方法",
    "q-doc-19": "can a colleague look at dashboards without paying for a licence",
    "q-fin-01": "apple stock price after the split",
    "q-fin-02": "bank charges for going into overdraft",
    "q-fin-03": "401k contribution limit 2024",
    "q-fin-04": "difference between accounts payable and accounts receivable",
    "q-fin-05": "business expenses that are not tax deductible",
    "q-fin-06": "what is EBITDA and how is it calculated",
    "q-fin-07": "German VAT reduced rate 7 percent: which goods",
    "q-fin-08": "invoice payment terms net 30 meaning, due date",
    "q-fin-09": "why do existing bonds lose value when the central bank hikes",
    "q-fin-10": "price to earnings ratio meaning, high or low",
    "q-fin-11": "Northmere domestic wire transfer cut-off time for same day",
    "q-fin-12": "Abschreibung Laptop Nutzungsdauer steuerlich",
    "q-fin-13": "ETF capitalisant ou distribuant : quelle différence pour les dividendes",
    "q-fin-14": "cómo calcular el IVA de una factura en España",
    "q-fin-15": "qué es el interés compuesto, ejemplo",
    "q-fin-16": "確定申告 期限 いつまで 個人事業主",
    "q-fin-17": "新しい NISA の年間投資枠はいくら",
    "q-fin-18": "how much cash should I keep for unexpected costs",
    "q-fin-19": "invest a lump sum at once or spread it out monthly?",
    "q-gen-01": "ball python humidity and shedding problems",
    "q-gen-02": "river bank erosion after a flood",
}

# query id -> language of the query (ISO 639-1)
LANGUAGES = {
    "q-it-01": "en",
    "q-it-02": "en",
    "q-it-03": "en",
    "q-it-04": "en",
    "q-it-05": "en",
    "q-it-06": "en",
    "q-it-07": "en",
    "q-it-08": "en",
    "q-it-09": "en",
    "q-it-10": "en",
    "q-it-11": "en",
    "q-it-12": "en",
    "q-it-13": "en",
    "q-it-14": "de",
    "q-it-15": "de",
    "q-it-16": "fr",
    "q-it-17": "es",
    "q-it-18": "ja",
    "q-it-19": "en",
    "q-it-20": "en",
    "q-doc-01": "en",
    "q-doc-02": "en",
    "q-doc-03": "en",
    "q-doc-04": "en",
    "q-doc-05": "en",
    "q-doc-06": "en",
    "q-doc-07": "en",
    "q-doc-08": "en",
    "q-doc-09": "en",
    "q-doc-10": "en",
    "q-doc-11": "en",
    "q-doc-12": "en",
    "q-doc-13": "en",
    "q-doc-14": "de",
    "q-doc-15": "fr",
    "q-doc-16": "fr",
    "q-doc-17": "es",
    "q-doc-18": "ja",
    "q-doc-19": "en",
    "q-fin-01": "en",
    "q-fin-02": "en",
    "q-fin-03": "en",
    "q-fin-04": "en",
    "q-fin-05": "en",
    "q-fin-06": "en",
    "q-fin-07": "en",
    "q-fin-08": "en",
    "q-fin-09": "en",
    "q-fin-10": "en",
    "q-fin-11": "en",
    "q-fin-12": "de",
    "q-fin-13": "fr",
    "q-fin-14": "es",
    "q-fin-15": "es",
    "q-fin-16": "ja",
    "q-fin-17": "ja",
    "q-fin-18": "en",
    "q-fin-19": "en",
    "q-gen-01": "en",
    "q-gen-02": "en",
}

# query id -> {passage id: grade}; 2 = answers the query, 1 = on topic / partly answers; unlisted = not relevant (0)
QRELS = {
    "q-it-01": {"it-001": 2, "it-002": 1, "it-077": 1},
    "q-it-02": {"it-006": 2, "it-007": 1},
    "q-it-03": {"it-012": 2, "it-015": 1},
    "q-it-04": {"it-016": 2, "it-018": 1},
    "q-it-05": {"it-020": 2, "it-021": 1},
    "q-it-06": {"it-024": 2, "it-025": 1},
    "q-it-07": {"it-028": 2, "it-031": 1},
    "q-it-08": {"it-032": 2, "it-033": 1},
    "q-it-09": {"it-036": 2, "it-096": 2},
    "q-it-10": {"it-040": 2, "it-041": 1},
    "q-it-11": {"it-044": 2, "it-097": 1},
    "q-it-12": {"it-048": 2, "it-098": 1},
    "q-it-13": {"it-052": 2, "it-053": 1},
    "q-it-14": {"it-056": 2, "it-057": 1},
    "q-it-15": {"it-060": 2, "it-061": 1},
    "q-it-16": {"it-064": 2, "it-099": 1},
    "q-it-17": {"it-068": 2, "it-069": 1},
    "q-it-18": {"it-072": 2, "it-073": 1},
    "q-it-19": {"it-083": 2},
    "q-it-20": {"it-078": 2},
    "q-doc-01": {"doc-001": 2, "doc-004": 1},
    "q-doc-02": {"doc-005": 2, "doc-006": 1},
    "q-doc-03": {"doc-009": 2, "doc-091": 1},
    "q-doc-04": {"doc-013": 2, "doc-014": 1},
    "q-doc-05": {"doc-017": 2, "doc-018": 2},
    "q-doc-06": {"doc-021": 2, "doc-023": 1},
    "q-doc-07": {"doc-025": 2, "doc-027": 1},
    "q-doc-08": {"doc-029": 2, "doc-092": 1},
    "q-doc-09": {"doc-032": 2, "doc-093": 1},
    "q-doc-10": {"doc-035": 2, "doc-038": 1},
    "q-doc-11": {"doc-039": 2, "doc-094": 1},
    "q-doc-12": {"doc-042": 2, "doc-043": 1},
    "q-doc-13": {"doc-046": 2, "doc-068": 2},
    "q-doc-14": {"doc-049": 2, "doc-095": 1},
    "q-doc-15": {"doc-053": 2, "doc-054": 1, "doc-055": 1},
    "q-doc-16": {"doc-058": 2, "doc-096": 1},
    "q-doc-17": {"doc-061": 2, "doc-097": 1},
    "q-doc-18": {"doc-064": 2, "doc-066": 1},
    "q-doc-19": {"doc-080": 2, "doc-093": 2, "doc-053": 1, "doc-098": 1},
    "q-fin-01": {"fin-001": 2, "fin-003": 1},
    "q-fin-02": {"fin-004": 2, "fin-091": 1},
    "q-fin-03": {"fin-007": 2, "fin-092": 1},
    "q-fin-04": {"fin-011": 2, "fin-093": 2},
    "q-fin-05": {"fin-015": 2, "fin-018": 1},
    "q-fin-06": {"fin-019": 2, "fin-020": 1},
    "q-fin-07": {"fin-024": 2, "fin-025": 1},
    "q-fin-08": {"fin-028": 2, "fin-094": 1},
    "q-fin-09": {"fin-032": 2, "fin-095": 1},
    "q-fin-10": {"fin-035": 2, "fin-096": 1},
    "q-fin-11": {"fin-038": 2, "fin-097": 1},
    "q-fin-12": {"fin-041": 2, "fin-043": 1},
    "q-fin-13": {"fin-045": 2, "fin-046": 1},
    "q-fin-14": {"fin-049": 2, "fin-098": 1},
    "q-fin-15": {"fin-052": 2, "fin-053": 1},
    "q-fin-16": {"fin-056": 2, "fin-057": 1},
    "q-fin-17": {"fin-060": 2, "fin-099": 1},
    "q-fin-18": {"fin-065": 2},
    "q-fin-19": {"fin-069": 2, "fin-102": 1},
    "q-gen-01": {"gen-002": 2, "gen-001": 1},
    "q-gen-02": {"gen-005": 2, "gen-006": 1},
}
