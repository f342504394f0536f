//! Who asks ([`UserInfo`]) and what they ask for ([`Request`]).

/// The group every authenticated user is in.
pub const ALL_AUTHENTICATED: &str = "system:authenticated";
/// The group of the anonymous user.
pub const ALL_UNAUTHENTICATED: &str = "system:unauthenticated";
/// The user name of anonymous requests.
pub const ANONYMOUS: &str = "system:anonymous";
/// The prefix of service-account user names.
pub const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";
/// The group every service account is in.
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

/// An authenticated user, as the authorizer sees it: a name and groups.
///
/// Build it with [`UserInfo::new`] to get the groups the API server's
/// authenticators add; a struct literal takes the groups as given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserInfo {
    /// The user name, e.g. `alice` or `system:serviceaccount:ns:name`.
    pub name: String,
    /// Every group of the user, including the implicit ones.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user with `groups` plus what the authenticators add:
    ///
    /// - a service-account name `system:serviceaccount:<ns>:<name>` (exactly
    ///   two non-empty parts after the prefix) gets `system:serviceaccounts`
    ///   and `system:serviceaccounts:<ns>`, as the service-account token
    ///   authenticator gives them;
    /// - `system:anonymous` gets `system:unauthenticated`, as the anonymous
    ///   authenticator gives it;
    /// - every other user gets `system:authenticated`, unless it already has
    ///   `system:authenticated` or `system:unauthenticated` (upstream's
    ///   `AuthenticatedGroupAdder`).
    ///
    /// A group already present is not repeated.
    pub fn new<I, S>(name: impl Into<String>, groups: I) -> UserInfo
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let name = name.into();
        let mut user = UserInfo {
            groups: groups.into_iter().map(Into::into).collect(),
            name,
        };
        if let Some((namespace, _)) = service_account_parts(&user.name) {
            let namespace_group = format!("{ALL_SERVICE_ACCOUNTS}:{namespace}");
            user.add_group(ALL_SERVICE_ACCOUNTS.to_string());
            user.add_group(namespace_group);
        }
        if user.name == ANONYMOUS {
            user.add_group(ALL_UNAUTHENTICATED.to_string());
        } else if !user
            .groups
            .iter()
            .any(|g| g == ALL_AUTHENTICATED || g == ALL_UNAUTHENTICATED)
        {
            user.add_group(ALL_AUTHENTICATED.to_string());
        }
        user
    }

    /// The user of a service account: `system:serviceaccount:<ns>:<name>`
    /// with its groups.
    pub fn service_account(namespace: &str, name: &str) -> UserInfo {
        UserInfo::new(
            format!("{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"),
            Vec::<String>::new(),
        )
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    fn add_group(&mut self, group: String) {
        if !self.in_group(&group) {
            self.groups.push(group);
        }
    }
}

/// The namespace and name of a service-account user name, as upstream's
/// `serviceaccount.SplitUsername` accepts it: the prefix, then exactly two
/// non-empty parts separated by `:`.
pub fn service_account_parts(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_PREFIX)?;
    let (namespace, name) = rest.split_once(':')?;
    (!namespace.is_empty() && !name.is_empty() && !name.contains(':')).then_some((namespace, name))
}

/// One request to authorize, the attributes the RBAC authorizer reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Request {
    /// A request for an API resource.
    Resource {
        /// The verb: `get`, `list`, `create`, `impersonate`, ...
        verb: String,
        /// The API group; `""` is the core group.
        api_group: String,
        /// The resource, plural and lower case: `pods`, `deployments`.
        resource: String,
        /// The subresource, e.g. `exec`, `scale`; `None` (or `""`) for none.
        subresource: Option<String>,
        /// The namespace; `None` (or `""`) for a cluster-scoped request
        /// (a cluster-scoped resource, or a namespaced one across all
        /// namespaces).
        namespace: Option<String>,
        /// The object's name; `None` for `list`, `watch` of a collection,
        /// `create` and `deletecollection`.
        name: Option<String>,
    },
    /// A request for a path that is not an API resource, e.g. `/healthz`.
    NonResource {
        /// The verb, usually the lower-case HTTP method: `get`, `post`.
        verb: String,
        /// The URL path.
        path: String,
    },
}

impl Request {
    /// A resource request written in kubectl's notation: `pods`,
    /// `pods/exec`, `deployments.apps`, `deployments.apps/scale`. The part
    /// before the first `/` is the resource, its text after the first `.`
    /// the group (`""` when there is no dot); the text after the first `/`
    /// is the subresource. No name is set; see [`Request::with_name`].
    ///
    /// No discovery is done: short names (`po`), kinds and singular names
    /// are not resolved, and `deployments.v1.apps` gives group `v1.apps`.
    pub fn parse_resource(verb: &str, resource: &str, namespace: Option<&str>) -> Request {
        let (resource, subresource) = match resource.split_once('/') {
            Some((resource, sub)) => (resource, Some(sub).filter(|s| !s.is_empty())),
            None => (resource, None),
        };
        let (resource, api_group) = resource.split_once('.').unwrap_or((resource, ""));
        Request::Resource {
            verb: verb.to_string(),
            api_group: api_group.to_string(),
            resource: resource.to_string(),
            subresource: subresource.map(String::from),
            namespace: namespace.filter(|n| !n.is_empty()).map(String::from),
            name: None,
        }
    }

    /// A non-resource request.
    pub fn non_resource(verb: &str, path: &str) -> Request {
        Request::NonResource {
            verb: verb.to_string(),
            path: path.to_string(),
        }
    }

    /// The same request for the object `name` (no change to a non-resource
    /// request).
    pub fn with_name(mut self, object: &str) -> Request {
        if let Request::Resource { name, .. } = &mut self {
            *name = Some(object.to_string());
        }
        self
    }

    /// The same request for the collection, not one object.
    pub fn without_name(mut self) -> Request {
        if let Request::Resource { name, .. } = &mut self {
            *name = None;
        }
        self
    }

    /// The verb of the request.
    pub fn verb(&self) -> &str {
        match self {
            Request::Resource { verb, .. } | Request::NonResource { verb, .. } => verb,
        }
    }

    /// The namespace the request is in: `None` for a cluster-scoped or
    /// non-resource request (an empty namespace counts as none).
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Request::Resource { namespace, .. } => namespace.as_deref().filter(|n| !n.is_empty()),
            Request::NonResource { .. } => None,
        }
    }
}

/// A resource as kubectl writes it: `pods`, `deployments.apps/scale`.
pub fn kubectl_name(group: &str, resource: &str, subresource: Option<&str>) -> String {
    let mut name = resource.to_string();
    if !group.is_empty() {
        name.push('.');
        name.push_str(group);
    }
    if let Some(sub) = subresource {
        name.push('/');
        name.push_str(sub);
    }
    name
}
