package builtin

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
)

// RBAC names are path segments, not DNS names: kube allows "system:controller:foo".

func roleStrategy() registry.Strategy {
	return typed[*rbacv1.Role]{
		namespaced: true,
		nameFn:     path.ValidatePathSegmentName,
		validate:   func(r *rbacv1.Role) field.ErrorList { return validatePolicyRules(r.Rules, true) },
	}
}

func clusterRoleStrategy() registry.Strategy {
	return typed[*rbacv1.ClusterRole]{
		nameFn:   path.ValidatePathSegmentName,
		validate: func(r *rbacv1.ClusterRole) field.ErrorList { return validatePolicyRules(r.Rules, false) },
	}
}

func roleBindingStrategy() registry.Strategy {
	return typed[*rbacv1.RoleBinding]{
		namespaced: true,
		nameFn:     path.ValidatePathSegmentName,
		defaults: func(b *rbacv1.RoleBinding) {
			defaultRoleRef(&b.RoleRef)
			defaultSubjects(b.Subjects)
		},
		validate: func(b *rbacv1.RoleBinding) field.ErrorList { return validateRoleBinding(b.RoleRef, b.Subjects, true) },
		validateUpdate: func(b, old *rbacv1.RoleBinding) field.ErrorList {
			return validateRoleRefUpdate(b.RoleRef, old.RoleRef)
		},
	}
}

func clusterRoleBindingStrategy() registry.Strategy {
	return typed[*rbacv1.ClusterRoleBinding]{
		nameFn: path.ValidatePathSegmentName,
		defaults: func(b *rbacv1.ClusterRoleBinding) {
			defaultRoleRef(&b.RoleRef)
			defaultSubjects(b.Subjects)
		},
		validate: func(b *rbacv1.ClusterRoleBinding) field.ErrorList {
			return validateRoleBinding(b.RoleRef, b.Subjects, false)
		},
		validateUpdate: func(b, old *rbacv1.ClusterRoleBinding) field.ErrorList {
			return validateRoleRefUpdate(b.RoleRef, old.RoleRef)
		},
	}
}
