package discovery

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// priority is an APIService's GroupPriorityMinimum and VersionPriority.
type priority struct {
	group   int
	version int
}

// builtinPriorities is kube-apiserver's table of APIService priorities for its built-in
// group/versions (cmd/kube-apiserver's apiVersionPriorities). It fixes the order of groups in
// /apis and of versions within a group; kubectl shows resources in that order.
var builtinPriorities = map[schema.GroupVersion]priority{
	{Group: "", Version: "v1"}:                                   {18000, 1},
	{Group: "apps", Version: "v1"}:                               {17800, 15},
	{Group: "events.k8s.io", Version: "v1"}:                      {17750, 15},
	{Group: "events.k8s.io", Version: "v1beta1"}:                 {17750, 5},
	{Group: "authentication.k8s.io", Version: "v1"}:              {17700, 15},
	{Group: "authentication.k8s.io", Version: "v1beta1"}:         {17700, 9},
	{Group: "authentication.k8s.io", Version: "v1alpha1"}:        {17700, 1},
	{Group: "authorization.k8s.io", Version: "v1"}:               {17600, 15},
	{Group: "autoscaling", Version: "v1"}:                        {17500, 15},
	{Group: "autoscaling", Version: "v2"}:                        {17500, 30},
	{Group: "autoscaling", Version: "v2beta1"}:                   {17500, 9},
	{Group: "autoscaling", Version: "v2beta2"}:                   {17500, 1},
	{Group: "batch", Version: "v1"}:                              {17400, 15},
	{Group: "batch", Version: "v1beta1"}:                         {17400, 9},
	{Group: "certificates.k8s.io", Version: "v1"}:                {17300, 15},
	{Group: "certificates.k8s.io", Version: "v1beta1"}:           {17300, 9},
	{Group: "certificates.k8s.io", Version: "v1alpha1"}:          {17300, 1},
	{Group: "networking.k8s.io", Version: "v1"}:                  {17200, 15},
	{Group: "networking.k8s.io", Version: "v1beta1"}:             {17200, 9},
	{Group: "networking.k8s.io", Version: "v1alpha1"}:            {17200, 1},
	{Group: "policy", Version: "v1"}:                             {17100, 15},
	{Group: "policy", Version: "v1beta1"}:                        {17100, 9},
	{Group: "rbac.authorization.k8s.io", Version: "v1"}:          {17000, 15},
	{Group: "storage.k8s.io", Version: "v1"}:                     {16800, 15},
	{Group: "storage.k8s.io", Version: "v1beta1"}:                {16800, 9},
	{Group: "storage.k8s.io", Version: "v1alpha1"}:               {16800, 1},
	{Group: "apiextensions.k8s.io", Version: "v1"}:               {16700, 15},
	{Group: "admissionregistration.k8s.io", Version: "v1"}:       {16700, 15},
	{Group: "admissionregistration.k8s.io", Version: "v1beta1"}:  {16700, 12},
	{Group: "admissionregistration.k8s.io", Version: "v1alpha1"}: {16700, 9},
	{Group: "scheduling.k8s.io", Version: "v1"}:                  {16600, 15},
	{Group: "coordination.k8s.io", Version: "v1"}:                {16500, 15},
	{Group: "coordination.k8s.io", Version: "v1beta1"}:           {16500, 13},
	{Group: "coordination.k8s.io", Version: "v1alpha2"}:          {16500, 12},
	{Group: "node.k8s.io", Version: "v1"}:                        {16300, 15},
	{Group: "node.k8s.io", Version: "v1beta1"}:                   {16300, 9},
	{Group: "node.k8s.io", Version: "v1alpha1"}:                  {16300, 1},
	{Group: "discovery.k8s.io", Version: "v1"}:                   {16200, 15},
	{Group: "discovery.k8s.io", Version: "v1beta1"}:              {16200, 12},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}:       {16100, 21},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta3"}:  {16100, 18},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta2"}:  {16100, 15},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta1"}:  {16100, 12},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1alpha1"}: {16100, 9},
	{Group: "internal.apiserver.k8s.io", Version: "v1alpha1"}:    {16000, 9},
	{Group: "resource.k8s.io", Version: "v1"}:                    {15900, 15},
	{Group: "resource.k8s.io", Version: "v1beta2"}:               {15900, 12},
	{Group: "resource.k8s.io", Version: "v1beta1"}:               {15900, 9},
	{Group: "resource.k8s.io", Version: "v1alpha3"}:              {15900, 1},
	{Group: "storagemigration.k8s.io", Version: "v1beta1"}:       {15800, 9},
	{Group: "storagemigration.k8s.io", Version: "v1alpha1"}:      {15800, 1},
}

// customPriority is what kube gives group/versions it has no entry for (custom resources):
// the crdregistration controller's GroupPriorityMinimum 1000 with version priority 100, so they
// sort after every built-in group, by name, and their versions by kube's version ordering.
var customPriority = priority{group: 1000, version: 100}

func priorityOf(gv schema.GroupVersion) priority {
	if p, ok := builtinPriorities[gv]; ok {
		return p
	}
	return customPriority
}

// groupBefore reports whether group a sorts before group b, given each group's priority (the
// highest GroupPriorityMinimum among its versions): higher priority first, then by name.
func groupBefore(a string, pa int, b string, pb int) bool {
	if pa != pb {
		return pa > pb
	}
	return a < b
}

// versionBefore reports whether version a of group sorts before version b: higher version
// priority first, then kube's version ordering.
func versionBefore(group, a, b string) bool {
	pa := priorityOf(schema.GroupVersion{Group: group, Version: a}).version
	pb := priorityOf(schema.GroupVersion{Group: group, Version: b}).version
	if pa != pb {
		return pa > pb
	}
	return version.CompareKubeAwareVersionStrings(a, b) > 0
}
