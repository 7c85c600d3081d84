"""The test plugins of CKAN 2.12.0 under the module path its wheel names.

The wheel's ``ckan.test_plugins`` entry points (``test_package_controller_plugin``,
``test_resource_view`` and others) point at ``tests.plugins.ckantestplugins``,
a module of CKAN's source tree, while the wheel ships the classes as
``ckan.tests.plugins.ckantestplugins``. ``conformance/pytest.ini`` puts this
folder on ``sys.path`` so that the entry points load the shipped classes.
"""
from ckan.tests.plugins.ckantestplugins import (  # noqa: F401
    ActionPlugin,
    AuthPlugin,
    MockPackageControllerPlugin,
    MockResourceViewExtension,
    PluginObserverPlugin,
)
